/**
 * A byte budget per provider request, next to the event count the batcher already caps: one
 * request must never grow past what the provider's front end takes, whatever the events weigh
 * (docs/architecture.md#request-byte-budget). The Data Manager client plans the same way with its
 * destination limits on top (data-manager/split.ts).
 */

/** Meta publishes no byte limit; 4 MiB keeps a full batch of 1,000 ordinary events in one request (docs/platforms.md#meta-request-limits). */
export const META_DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** Google API front ends refuse bodies over 10,485,760 bytes; 8 MiB keeps 20 % below (docs/platforms.md#google-request-limits). */
export const GOOGLE_ADS_DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface BytePlan {
  /** Indexes into the input, in order, one list per request. */
  requests: number[][];
  /** Items that alone exceed the budget: they can never be sent. */
  oversized: number[];
}

/**
 * Greedy and order-preserving: a request closes when the next item would push it past `maxBytes`.
 * `envelopeBytes` is the request without items (token, flags); one byte per item pays its comma.
 */
export function planByBytes(sizes: readonly number[], maxBytes: number, envelopeBytes: number): BytePlan {
  const requests: number[][] = [];
  const oversized: number[] = [];
  let current: number[] = [];
  let bytes = envelopeBytes;
  for (const [index, size] of sizes.entries()) {
    const cost = size + 1;
    if (envelopeBytes + cost > maxBytes) {
      oversized.push(index);
      continue;
    }
    if (bytes + cost > maxBytes && current.length > 0) {
      requests.push(current);
      current = [];
      bytes = envelopeBytes;
    }
    current.push(index);
    bytes += cost;
  }
  if (current.length > 0) requests.push(current);
  return { requests, oversized };
}

/** UTF-8 bytes of `value` as JSON, as the HTTP client will send it. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Answers that mean "this request is too large" rather than anything about its events. */
const TOO_LARGE_TEXT = /payload size exceeds the limit|request entity too large|payload too large/i;

export function isTooLargeResponse(status: number, json: unknown): boolean {
  if (status === 413) return true;
  if (status !== 400 || typeof json !== 'object' || json === null) return false;
  const error = (json as Record<string, unknown>)['error'];
  const message = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['message'] : undefined;
  return typeof message === 'string' && TOO_LARGE_TEXT.test(message);
}
