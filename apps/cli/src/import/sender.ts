import { setTimeout as sleep } from 'node:timers/promises';
import { signRequest } from './sign.js';

/**
 * Posts batches to the api's `POST /v1/collect/batch`, the same door webhooks use: at most
 * `concurrency` requests in flight, at most `ratePerS` events per second, and a `503` (Redis cannot
 * store right now) or a dropped connection pauses every sender for `Retry-After` (or a growing
 * backoff) and retries the same batch, which is safe because each event carries a deterministic id.
 * Only when the api has not taken a batch for `giveUpAfterMs` does the import stop.
 */

export const BATCH_PATH = '/v1/collect/batch';

export interface SenderOptions {
  apiUrl: string;
  token: string;
  signingSecret?: string | undefined;
  concurrency: number;
  /** Events per second at most; undefined = as fast as the api answers. */
  ratePerS?: number | undefined;
  /** How long the api may keep refusing (503, no connection) before the import gives up. */
  giveUpAfterMs: number;
  requestTimeoutMs?: number;
  /** Called when the sender waits for the api (503 or connection failure), for the progress display. */
  onBackoff?: (waitMs: number, cause: string) => void;
}

export interface BatchItemResult {
  index: number;
  eventId?: string;
  status: 'queued' | 'duplicate' | 'invalid' | 'rejected';
  skipped?: { provider: string; reason: string }[];
  warnings?: { field: string; code: string }[];
}

export interface BatchAnswer {
  results: BatchItemResult[];
  validationErrors?: { index: number; issues: { path: string; message: string }[] }[];
}

/** The api could not be reached or kept answering 503 past the give-up time. */
export class ApiUnavailableError extends Error {
  override readonly name = 'ApiUnavailableError';
}

/** The api refused the request itself (401, 413, …): retrying cannot help. Carries status and error code only. */
export class ApiRefusedError extends Error {
  override readonly name = 'ApiRefusedError';
  constructor(readonly status: number, readonly code: string) {
    super(`the api answered ${status} ${code}`);
  }
}

function retryAfterMs(header: string | null): number {
  const seconds = Number(header ?? '1');
  return Math.min(60_000, Math.max(100, Number.isFinite(seconds) ? seconds * 1000 : 1000));
}

export interface Sender {
  /** Sends one batch (a JSON array's text); resolves with the api's answer once it was stored. */
  send(body: string, events: number): Promise<BatchAnswer>;
  /** Requests currently in flight. */
  inFlight(): number;
}

export function createSender(options: SenderOptions): Sender {
  const url = new URL(BATCH_PATH, options.apiUrl);
  let pausedUntilMs = 0;
  let nextSlotMs = 0;
  let inFlight = 0;

  /** Paces events: each batch takes `events / ratePerS` seconds of the budget, reserved in order. */
  const pace = async (events: number) => {
    if (options.ratePerS === undefined) return;
    const now = performance.now();
    const start = Math.max(now, nextSlotMs);
    nextSlotMs = start + (events / options.ratePerS) * 1000;
    if (start > now) await sleep(start - now);
  };

  const attempt = async (body: string): Promise<Response> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-capconnect-token': options.token };
    if (options.signingSecret !== undefined) {
      headers['x-capconnect-signature'] = signRequest({
        method: 'POST', pathAndQuery: url.pathname + url.search, body, secret: options.signingSecret, timestampS: Math.floor(Date.now() / 1000),
      });
    }
    return fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.requestTimeoutMs ?? 60_000) });
  };

  const send = async (body: string, events: number): Promise<BatchAnswer> => {
    await pace(events);
    let failingSinceMs: number | undefined;
    let backoffMs = 250;
    let resigned = false;
    for (;;) {
      const waitMs = pausedUntilMs - Date.now();
      if (waitMs > 0) await sleep(waitMs);
      let response: Response | undefined;
      let cause: string;
      inFlight += 1;
      try {
        response = await attempt(body);
        if (response.status === 202) return (await response.json()) as BatchAnswer;
        if (response.status !== 503) {
          let code = 'error';
          try {
            const answer = (await response.json()) as { error?: unknown };
            if (typeof answer.error === 'string') code = answer.error;
          } catch { /* not JSON */ }
          // The same batch was signed and answered 2xx within this second (a re-run right after the
          // last one): sign it again with the next second's timestamp; its events come back as duplicates.
          if (response.status === 401 && code === 'signature_replayed' && !resigned) {
            resigned = true;
            await sleep(1000 - (Date.now() % 1000) + 5);
            continue;
          }
          throw new ApiRefusedError(response.status, code);
        }
        await response.body?.cancel();
        cause = '503';
      } catch (error) {
        if (error instanceof ApiRefusedError) throw error;
        cause = error instanceof Error ? (error.name === 'TimeoutError' ? 'timeout' : 'no connection') : 'error';
      } finally {
        inFlight -= 1;
      }
      failingSinceMs ??= Date.now();
      if (Date.now() - failingSinceMs > options.giveUpAfterMs) {
        throw new ApiUnavailableError(`the api at ${url.origin} has not taken a batch for ${Math.round(options.giveUpAfterMs / 1000)} s (last: ${cause})`);
      }
      const delayMs = cause === '503' ? retryAfterMs(response?.headers.get('retry-after') ?? null) : backoffMs;
      if (cause !== '503') backoffMs = Math.min(10_000, backoffMs * 2);
      pausedUntilMs = Math.max(pausedUntilMs, Date.now() + delayMs);
      options.onBackoff?.(delayMs, cause);
    }
  };

  return { send, inFlight: () => inFlight };
}
