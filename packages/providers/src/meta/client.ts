import { PermanentError, TransientError, errorCode, type EventResult, type ProviderError } from '../errors.js';
import type { HttpClient } from '../http.js';
import type { RequestObserver } from '../observer.js';
import { META_DEFAULT_MAX_REQUEST_BYTES, jsonBytes, planByBytes } from '../request-budget.js';
import { classifyMetaResponse } from './classify.js';
import { buildMetaBody, type MetaServerEvent } from './payload.js';

export interface MetaClientOptions {
  http: HttpClient;
  /** `META_API_BASE_URL`, no trailing slash. */
  apiBaseUrl: string;
  apiVersion: string;
  pixelId: string;
  accessToken: string;
  testEventCode?: string | undefined;
  /** `META_MAX_REQUEST_BYTES`: byte budget of one request body. Default 4 MiB. */
  maxRequestBytes?: number | undefined;
  onRequest?: RequestObserver;
}

/**
 * Meta's warning that the version in the URL is deprecated or about to be (sent on otherwise
 * successful responses; https://developers.facebook.com/docs/graph-api/guides/versioning). Its text
 * is Meta's, about the API, never about an event.
 */
export function metaVersionWarning(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['x-ad-api-version-warning'];
  const text = Array.isArray(raw) ? raw[0] : raw;
  return text === undefined || text.trim() === '' ? undefined : text.trim().slice(0, 300);
}

/**
 * Sends a batch of server events to one pixel. A Meta batch is all-or-nothing ("If any event you
 * send in a batch is invalid, we reject the entire batch", docs/platforms.md#meta-request-limits), so when Meta
 * blames an event (code 100) the client fails that event and re-sends the others: by the index Meta
 * names in `error_user_msg`, or by bisection when it names none. Events are split into requests
 * that stay within a byte budget, and a request answered 413 is halved and re-sent: only an event
 * too large on its own fails (`payload_too_large`). Every input event gets a result.
 */
export class MetaClient {
  private readonly url: string;

  constructor(private readonly options: MetaClientOptions) {
    this.url = `${options.apiBaseUrl}/${options.apiVersion}/${options.pixelId}/events`;
  }

  async send(events: readonly MetaServerEvent[]): Promise<EventResult[]> {
    const results = new Array<EventResult | undefined>(events.length);
    const { accessToken, testEventCode } = this.options;
    const plan = planByBytes(events.map(jsonBytes), this.options.maxRequestBytes ?? META_DEFAULT_MAX_REQUEST_BYTES, jsonBytes(buildMetaBody([], accessToken, testEventCode)));
    for (const index of plan.oversized) results[index] = { kind: 'error', error: new PermanentError({ reason: 'payload_too_large' }) };
    for (const indices of plan.requests) await this.sendPart(events, indices, results);
    return results.map((result) => result ?? { kind: 'error', error: new TransientError({ code: 'invalid_response' }) });
  }

  private async sendPart(events: readonly MetaServerEvent[], indices: number[], results: (EventResult | undefined)[]): Promise<void> {
    if (indices.length === 0) return;
    const outcome = await this.request(indices.map((index) => events[index] as MetaServerEvent));
    if (outcome.ok) {
      for (const index of indices) {
        results[index] = { kind: 'sent', httpStatus: outcome.httpStatus, batchSize: indices.length, ...(outcome.reference !== undefined && { reference: outcome.reference }) };
      }
      return;
    }
    const fail = (at: readonly number[], error: ProviderError) => { for (const index of at) results[index] = { kind: 'error', error }; };
    if (outcome.tooLarge === true) {
      // Too large says nothing about the events: halve until each part fits (docs/decisions.md#split-on-413).
      if (indices.length === 1) {
        fail(indices, new PermanentError({ reason: 'payload_too_large', httpStatus: outcome.error.httpStatus }));
        return;
      }
      await this.halve(events, indices, results);
      return;
    }
    if (!outcome.blamesEvent || indices.length === 1) {
      fail(indices, outcome.error);
      return;
    }
    const named = outcome.eventIndex;
    if (named !== undefined && named < indices.length) {
      const culprit = indices[named] as number;
      fail([culprit], outcome.error);
      await this.sendPart(events, indices.filter((index) => index !== culprit), results);
      return;
    }
    // No usable index: halve until the offending events stand alone.
    await this.halve(events, indices, results);
  }

  private async halve(events: readonly MetaServerEvent[], indices: number[], results: (EventResult | undefined)[]): Promise<void> {
    const middle = Math.ceil(indices.length / 2);
    await this.sendPart(events, indices.slice(0, middle), results);
    await this.sendPart(events, indices.slice(middle), results);
  }

  private async request(batch: MetaServerEvent[]): Promise<
    | { ok: true; httpStatus: number; reference: string | undefined }
    | { ok: false; error: ProviderError; blamesEvent: boolean; eventIndex: number | undefined; tooLarge?: boolean }
  > {
    const body = buildMetaBody(batch, this.options.accessToken, this.options.testEventCode);
    const started = performance.now();
    try {
      const response = await this.options.http.post(this.url, body);
      const classified = classifyMetaResponse(response, batch.length);
      const versionWarning = metaVersionWarning(response.headers);
      this.options.onRequest?.({
        provider: 'meta', httpStatus: response.status, durationMs: response.durationMs, batchSize: batch.length,
        ...(!classified.ok && { errorCode: errorCode(classified.error) }),
        ...(versionWarning !== undefined && { versionWarning }),
      });
      if (classified.ok) return { ok: true, httpStatus: response.status, reference: classified.fbtraceId };
      return classified;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      this.options.onRequest?.({ provider: 'meta', httpStatus: undefined, durationMs: performance.now() - started, batchSize: batch.length, errorCode: error.code });
      return { ok: false, error, blamesEvent: false, eventIndex: undefined };
    }
  }
}
