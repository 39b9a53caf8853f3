import { ConfigurationError, PermanentError, TransientError, errorCode, type EventResult, type ProviderError } from '../errors.js';
import type { HttpClient, HttpResponse } from '../http.js';
import type { RequestObserver } from '../observer.js';
import type { DataManagerTokenSource } from './auth.js';
import { buildIngestEventsRequest } from './build.js';
import { classifyDataManagerResponse, classifyDmError, dmErrorFacts, type DataManagerResponseClass } from './classify.js';
import { planIngestRequests } from './split.js';
import { parseRequestStatus, type DmRequestStatusResult } from './status.js';
import type { BuiltDataManagerEvent, DataManagerDestinationConfig } from './types.js';

export interface DataManagerClientOptions {
  http: HttpClient;
  tokens: DataManagerTokenSource;
  /**
   * `DATA_MANAGER_API_BASE_URL`, a URL; trailing slashes are dropped.
   * @defaultValue `'https://datamanager.googleapis.com'`
   */
  apiBaseUrl?: string | undefined;
  destination: DataManagerDestinationConfig;
  /** `GOOGLE_VALIDATE_ONLY`: Google checks the request and records nothing. */
  validateOnly: boolean;
  /**
   * Events per `events:ingest` request at most (`GOOGLE_BATCH_MAX`); clamped to 1–2,000.
   * @defaultValue 2000
   */
  maxEventsPerRequest?: number | undefined;
  /**
   * Request body budget in bytes (`GOOGLE_DM_MAX_REQUEST_BYTES`); larger batches are split.
   * @defaultValue 8388608 (8 MiB, `DM_DEFAULT_MAX_REQUEST_BYTES`)
   */
  maxRequestBytes?: number | undefined;
  /**
   * Called once per HTTP request with its record (duration in ms, batch size in events).
   * @defaultValue none
   */
  onRequest?: RequestObserver;
  /**
   * The shared request quota (`GOOGLE_REQUESTS_PER_MINUTE` / `_PER_DAY`): one permit per
   * `events:ingest` HTTP request — first sends, re-sends after a culprit was removed, bisection
   * halves, splits and the retry after a token refresh — taken right before it is sent, unless the
   * caller already holds one (`permitsHeld`) (docs/architecture.md#request-quota).
   * @defaultValue none: no quota
   */
  permits?: RequestPermitSource | undefined;
  /**
   * The same for `requestStatus:retrieve`, which Google counts against its separate read quota (docs/platforms.md#dm-limits).
   * @defaultValue none: no quota
   */
  readPermits?: RequestPermitSource | undefined;
}

export interface DataManagerIngestOptions {
  /**
   * Permits the caller already acquired for this call, a count (the batcher waits for one before it closes a batch).
   * @defaultValue 0
   */
  permitsHeld?: number;
}

/** Structurally `RequestPermits` of @capconnect/queue, which this package does not depend on. */
export interface RequestPermitSource {
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * A permit that could not be had (Redis down, shutdown: `QuotaUnavailableError` of the quota) is a
 * transient failure of the request: retried later rather than sent over the quota.
 */
async function takePermit(permits: RequestPermitSource | undefined): Promise<void> {
  if (permits === undefined) return;
  try {
    await permits.acquire();
  } catch (error) {
    throw error instanceof TransientError ? error : new TransientError({ code: 'quota_unavailable', retryAfterMs: 1000 });
  }
}

/** One accepted request: its id (for `requestStatus:retrieve`), size and warnings per reason. */
export interface DataManagerAcceptedRequest {
  requestId: string;
  eventCount: number;
  /** Positions in the `ingest()` input of the events this request carried. */
  indices: number[];
  warnings: Record<string, number>;
}

export interface DataManagerIngestOutcome {
  /** One result per input event, in input order. `sent.reference` is the request id. */
  results: EventResult[];
  accepted: DataManagerAcceptedRequest[];
}

export const DATA_MANAGER_DEFAULT_BASE_URL = 'https://datamanager.googleapis.com';

/**
 * Sends built events with `POST /v1/events:ingest`. The API is fast-fail (one bad event rejects the
 * request), so like the Meta client this one isolates culprits: events Google names fail alone and
 * the rest are sent again; a 400 naming none is bisected; a too-large request is halved. A 401
 * drops the token and retries once with a new one. Every input event gets a result.
 */
export class DataManagerClient {
  private readonly baseUrl: string;

  constructor(private readonly options: DataManagerClientOptions) {
    this.baseUrl = (options.apiBaseUrl ?? DATA_MANAGER_DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  async ingest(events: readonly BuiltDataManagerEvent[], options: DataManagerIngestOptions = {}): Promise<DataManagerIngestOutcome> {
    const permits = { held: options.permitsHeld ?? 0 };
    const results = new Array<EventResult | undefined>(events.length);
    const accepted: DataManagerAcceptedRequest[] = [];
    const plan = planIngestRequests(events, { maxEvents: this.options.maxEventsPerRequest, maxBytes: this.options.maxRequestBytes });
    for (const index of plan.oversized) results[index] = { kind: 'error', error: new PermanentError({ reason: 'dm_event_too_large' }) };
    for (const indices of plan.requests) await this.deliver(events, indices, results, accepted, permits);
    return {
      results: results.map((result) => result ?? { kind: 'error', error: new TransientError({ code: 'invalid_response' }) }),
      accepted,
    };
  }

  private async deliver(
    events: readonly BuiltDataManagerEvent[], indices: number[], results: (EventResult | undefined)[], accepted: DataManagerAcceptedRequest[],
    permits: { held: number },
  ): Promise<void> {
    if (indices.length === 0) return;
    const batch = indices.map((index) => events[index] as BuiltDataManagerEvent);
    const { outcome, httpStatus, actions } = await this.send(batch, permits);
    const fail = (at: readonly number[], error: ProviderError) => { for (const index of at) results[index] = { kind: 'error', error }; };
    const halve = async () => {
      const middle = Math.ceil(indices.length / 2);
      await this.deliver(events, indices.slice(0, middle), results, accepted, permits);
      await this.deliver(events, indices.slice(middle), results, accepted, permits);
    };
    switch (outcome.kind) {
      case 'ok':
        accepted.push({ requestId: outcome.requestId, eventCount: indices.length, indices: [...indices], warnings: outcome.warnings });
        for (const [position, index] of indices.entries()) {
          const warnings = outcome.eventWarnings.get(position);
          results[index] = {
            kind: 'sent', httpStatus, batchSize: indices.length, reference: outcome.requestId,
            ...(this.options.validateOnly && { validateOnly: true }), ...(warnings !== undefined && { warnings }),
          };
        }
        return;
      case 'failed':
        fail(indices, outcome.error);
        return;
      case 'split':
        if (indices.length === 1) fail(indices, new PermanentError({ reason: 'dm_event_too_large', httpStatus, reference: outcome.error.reference }));
        else await halve();
        return;
      case 'bisect':
        if (indices.length === 1) fail(indices, outcome.error);
        else await halve();
        return;
      case 'blamed': {
        const culprits = new Set<number>();
        for (const [position, error] of outcome.events) {
          const index = indices[position];
          if (index !== undefined) { fail([index], error); culprits.add(index); }
        }
        for (const [destination, error] of outcome.destinations) {
          const action = actions[destination];
          for (const [position, built] of batch.entries()) {
            const index = indices[position] as number;
            if (built.conversionActionId === action && !culprits.has(index)) { fail([index], error); culprits.add(index); }
          }
        }
        await this.deliver(events, indices.filter((index) => !culprits.has(index)), results, accepted, permits);
        return;
      }
    }
  }

  /** One request, with one token renewal on 401. */
  private async send(batch: BuiltDataManagerEvent[], permits: { held: number }): Promise<{ outcome: DataManagerResponseClass; httpStatus: number; actions: string[] }> {
    const body = buildIngestEventsRequest(batch, this.options.destination, this.options.validateOnly);
    const actions = body.destinations.map((destination) => destination.productDestinationId);
    const counts = { events: batch.length, destinations: actions.length };
    const failed = (error: ProviderError) => ({ outcome: { kind: 'failed', error, refreshable: false } as const, httpStatus: error.httpStatus ?? 0, actions });
    let token: string;
    try {
      token = await this.options.tokens.accessToken();
    } catch (error) {
      return failed(asProviderError(error));
    }
    let response = await this.post(body, token, batch.length, permits);
    if (response instanceof Error) return failed(response);
    let outcome = classifyDataManagerResponse(response, counts);
    if (outcome.kind === 'failed' && outcome.refreshable) {
      this.observe(response, batch.length, errorCode(outcome.error));
      this.options.tokens.invalidate(token);
      let renewed: string;
      try {
        renewed = await this.options.tokens.accessToken();
      } catch (error) {
        return failed(asProviderError(error));
      }
      // The same token again (a static one): retrying cannot help, the credentials are wrong.
      if (renewed === token) return { outcome, httpStatus: response.status, actions };
      response = await this.post(body, renewed, batch.length, permits);
      if (response instanceof Error) return failed(response);
      outcome = classifyDataManagerResponse(response, counts);
    }
    this.observe(response, batch.length, outcome.kind === 'ok' ? undefined : errorCode(outcome.error));
    return { outcome, httpStatus: response.status, actions };
  }

  /** Diagnostics of an accepted, non-validateOnly request. Throws a ProviderError on failure. */
  async retrieveRequestStatus(requestId: string): Promise<DmRequestStatusResult> {
    const url = `${this.baseUrl}/v1/requestStatus:retrieve?requestId=${encodeURIComponent(requestId)}`;
    const attempt = async (token: string): Promise<HttpResponse> => {
      await takePermit(this.options.readPermits);
      return this.options.http.get(url, { authorization: `Bearer ${token}` });
    };
    let token = await this.options.tokens.accessToken().catch((error: unknown) => { throw asProviderError(error); });
    let response = await attempt(token);
    if (response.status === 401) {
      this.options.tokens.invalidate(token);
      const renewed = await this.options.tokens.accessToken().catch((error: unknown) => { throw asProviderError(error); });
      if (renewed !== token) {
        token = renewed;
        response = await attempt(token);
      }
    }
    if (response.status === 200) return parseRequestStatus(response.json);
    const facts = dmErrorFacts(response);
    if (facts.reason === 'INVALID_REQUEST_ID') throw new PermanentError({ reason: 'INVALID_REQUEST_ID', httpStatus: response.status, reference: facts.requestId });
    const outcome = classifyDmError(facts, { events: 0, destinations: 0 });
    throw outcome.kind === 'ok' ? new TransientError({ code: 'invalid_response' }) : outcome.error;
  }

  private async post(body: unknown, token: string, events: number, permits: { held: number }): Promise<HttpResponse | TransientError> {
    if (permits.held > 0) permits.held -= 1;
    else {
      try {
        await takePermit(this.options.permits);
      } catch (error) {
        return error as TransientError;
      }
    }
    const started = performance.now();
    try {
      return await this.options.http.post(`${this.baseUrl}/v1/events:ingest`, body, { authorization: `Bearer ${token}` });
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      this.options.onRequest?.({ provider: 'google', httpStatus: undefined, durationMs: performance.now() - started, batchSize: events, errorCode: error.code });
      return error;
    }
  }

  private observe(response: HttpResponse, events: number, code: string | undefined): void {
    this.options.onRequest?.({ provider: 'google', httpStatus: response.status, durationMs: response.durationMs, batchSize: events, ...(code !== undefined && { errorCode: code }) });
  }
}

function asProviderError(error: unknown): ProviderError {
  if (error instanceof ConfigurationError || error instanceof TransientError || error instanceof PermanentError) return error;
  return new TransientError({ code: 'oauth_error' });
}
