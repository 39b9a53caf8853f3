/**
 * The provider error taxonomy (docs/architecture.md#code-conventions). Every provider response is classified into one of these
 * in exactly one place per provider (`meta/classify.ts`, `google/classify.ts`), and the worker
 * decides what BullMQ does from the class alone:
 *
 * - `TransientError`: try again later (network, timeout, 5xx, throttling, Meta transient codes).
 *   `retryAfterMs` is the provider's explicit wish (Retry-After, Google `retryDelay`).
 *   `rateLimited` means the whole queue should slow down, not only this event.
 *   `scheduled` means the provider named a fixed wait that is not a failure of this attempt
 *   (Google `TOO_RECENT_*`: "try again in 6 hours"), so it must not burn the attempt budget.
 * - `PermanentError`: this event can never be delivered as it is; fail it now with `reason`.
 * - `ConfigurationError`: the account or credentials are wrong (revoked token, terms not accepted);
 *   no event is at fault, so events wait for an operator instead of failing.
 *
 * Messages are fixed texts and codes: never provider error text, which can quote submitted values.
 */

export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly reference: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly rateLimited: boolean;
  readonly scheduled: boolean;

  constructor(init: {
    code: string;
    httpStatus?: number | undefined;
    reference?: string | undefined;
    retryAfterMs?: number | undefined;
    rateLimited?: boolean;
    scheduled?: boolean;
  }) {
    super(`transient provider error: ${init.code}`);
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.reference = init.reference;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimited = init.rateLimited ?? false;
    this.scheduled = init.scheduled ?? false;
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  /** Bounded reason code: `expired`, `meta_100`, `CLICK_NOT_FOUND`, `http_400`, … */
  readonly reason: string;
  readonly httpStatus: number | undefined;
  readonly reference: string | undefined;

  constructor(init: { reason: string; httpStatus?: number | undefined; reference?: string | undefined }) {
    super(`permanent provider error: ${init.reason}`);
    this.reason = init.reason;
    this.httpStatus = init.httpStatus;
    this.reference = init.reference;
  }
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly reference: string | undefined;

  /** `hint`: what the operator should change, naming the setting (never a provider's own text). */
  constructor(init: { code: string; httpStatus?: number | undefined; reference?: string | undefined; hint?: string }) {
    super(`provider configuration error: ${init.code}${init.hint === undefined ? '' : ` (${init.hint})`}`);
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.reference = init.reference;
  }
}

export type ProviderError = TransientError | PermanentError | ConfigurationError;

/** The bounded code of any provider error (metrics label, failure reason). */
export function errorCode(error: ProviderError): string {
  return error instanceof PermanentError ? error.reason : error.code;
}

/**
 * What happened to one event of a provider request. `sent` carries the acknowledging response's
 * status and reference (Meta `fbtrace_id`, Google `request-id`).
 */
export type EventResult =
  | {
    kind: 'sent'; httpStatus: number; reference?: string; batchSize: number; validateOnly?: boolean;
    /** Data Manager `fieldWarnings` reasons that concern this event (optional values Google ignored). */
    warnings?: string[];
  }
  | { kind: 'error'; error: ProviderError };

/** One `coerceError()` at the boundary (graphile-worker style): anything thrown becomes an Error. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : 'non-error thrown', { cause: thrown });
}

/** Parses an HTTP `Retry-After` header (delta-seconds or HTTP-date) into ms, if present and sane. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
