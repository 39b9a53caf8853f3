import { ConfigurationError, PermanentError, TransientError, parseRetryAfterMs, type ProviderError } from '../errors.js';
import type { HttpResponse } from '../http.js';
import { isTooLargeResponse } from '../request-budget.js';

/**
 * The one place a Meta Graph API response is classified (docs/decisions.md#meta-classification-by-error-code).
 * Classification follows `error.code` and `is_transient`, not the HTTP
 * status: RudderStack's fixtures show code 17 arriving with HTTP 500.
 *
 * | code | class | source |
 * |---|---|---|
 * | 1, 2 | transient | Graph error-handling page ("temporary issue", "temporary downtime") |
 * | 4, 17, 32, 613, 80000–80014 | transient, rate-limited (slows the queue) | Graph error-handling page; Marketing API error tables |
 * | 341, 368 | transient | Graph error-handling page ("wait and retry") |
 * | any with `is_transient: true` | transient | offline-conversion-file-uploader#26 |
 * | 190, 102, 104 | configuration (token expired, invalid or missing) | Graph error-handling page |
 * | 100 with subcode 33 | configuration (pixel missing or not accessible) | rudder-transformer fb fixtures |
 * | 2635 | configuration (the API version in the URL is deprecated): names `META_API_VERSION` | docs/platforms.md#meta-endpoint-and-version |
 * | 100 (incl. 2804xxx) | permanent, blamed on an event: isolate by index or bisect | rudder networkHandler; docs/decisions.md#meta-classification-by-error-code |
 * | 10, 200–299, 3 | permanent | Graph error-handling page |
 * | other codes | transient when HTTP 5xx, else permanent `meta_<code>` | — |
 * | HTTP 413 (request too large) | split in halves and resend; one event alone too large fails `payload_too_large` | docs/decisions.md#split-on-413 |
 */

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613]);
const TRANSIENT_CODES = new Set([1, 2, 341, 368]);
const CONFIGURATION_CODES = new Set([190, 102, 104]);
/** "You are calling a deprecated version of the Ads API": only a new setting helps. */
export const META_DEPRECATED_VERSION_CODE = 2635;

export interface MetaGraphError {
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
  message?: string;
  fbtrace_id?: string;
}

export type MetaResponseClass =
  | { ok: true; eventsReceived: number; fbtraceId: string | undefined }
  | {
    ok: false;
    error: ProviderError;
    /** The event is at fault (code 100): isolate it by `eventIndex`, or bisect when undefined. */
    blamesEvent: boolean;
    eventIndex: number | undefined;
    /** The request was too large (413): split it and send the halves; never a verdict on its events. */
    tooLarge?: boolean;
  };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function graphError(json: unknown): MetaGraphError | undefined {
  if (!isObject(json) || !isObject(json['error'])) return undefined;
  const error = json['error'];
  const code = error['code'];
  if (typeof code !== 'number') return undefined;
  const subcode = error['error_subcode'];
  const result: MetaGraphError = { code };
  if (typeof subcode === 'number') result.error_subcode = subcode;
  if (typeof error['is_transient'] === 'boolean') result.is_transient = error['is_transient'];
  if (typeof error['error_user_msg'] === 'string') result.error_user_msg = error['error_user_msg'];
  if (typeof error['message'] === 'string') result.message = error['message'];
  if (typeof error['fbtrace_id'] === 'string') result.fbtrace_id = error['fbtrace_id'];
  return result;
}

/**
 * The index of the event Meta names in an error text: `$['data'][17]`, `data[17]`, `[data][17]`.
 * Only the index is read; the text itself is never kept or logged.
 */
export function eventIndexFromMessage(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /\$?\[?'?data'?\]?\[(\d+)\]/.exec(text);
  if (!match?.[1]) return undefined;
  const index = Number(match[1]);
  return Number.isSafeInteger(index) ? index : undefined;
}

/** Classifies a Graph error object (also used directly by table-driven tests). */
export function classifyMetaError(error: MetaGraphError, httpStatus: number, retryAfterMs?: number): ProviderError {
  const { code } = error;
  const reference = error.fbtrace_id;
  const label = `meta_${code}`;
  const rateLimited = httpStatus === 429 || RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014);
  if (rateLimited || TRANSIENT_CODES.has(code)) {
    return new TransientError({ code: label, httpStatus, reference, retryAfterMs, rateLimited });
  }
  if (code === META_DEPRECATED_VERSION_CODE) {
    return new ConfigurationError({
      code: label, httpStatus, reference,
      hint: 'the Graph API version is deprecated: set META_API_VERSION to a supported version, see docs/platforms.md#meta-endpoint-and-version',
    });
  }
  if (CONFIGURATION_CODES.has(code) || (code === 100 && error.error_subcode === 33)) {
    return new ConfigurationError({ code: label, httpStatus, reference });
  }
  if (code === 100 || code === 10 || code === 3 || (code >= 200 && code <= 299)) {
    return new PermanentError({ reason: code >= 200 && code <= 299 ? 'meta_200' : label, httpStatus, reference });
  }
  if (error.is_transient === true || httpStatus >= 500) {
    return new TransientError({ code: label, httpStatus, reference, retryAfterMs });
  }
  return new PermanentError({ reason: label, httpStatus, reference });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Classifies a whole response to `POST /{pixel}/events` that carried `sent` events. */
export function classifyMetaResponse(response: HttpResponse, sent: number): MetaResponseClass {
  const { status, json } = response;
  const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
  if (status >= 200 && status < 300) {
    const received = isObject(json) ? json['events_received'] : undefined;
    const fbtraceId = isObject(json) && typeof json['fbtrace_id'] === 'string' ? json['fbtrace_id'] : headerText(response.headers['x-fb-trace-id']);
    if (typeof received !== 'number') {
      return { ok: false, error: new TransientError({ code: 'invalid_response', httpStatus: status, reference: fbtraceId }), blamesEvent: false, eventIndex: undefined };
    }
    if (received < sent) {
      // Not documented by Meta, but a short count means some events were not taken; resending
      // is safe because Meta dedups on event_id + event_name.
      return { ok: false, error: new TransientError({ code: 'partial_batch', httpStatus: status, reference: fbtraceId }), blamesEvent: false, eventIndex: undefined };
    }
    return { ok: true, eventsReceived: received, fbtraceId };
  }
  if (isTooLargeResponse(status, json)) {
    return { ok: false, error: new PermanentError({ reason: 'http_413', httpStatus: status }), blamesEvent: false, eventIndex: undefined, tooLarge: true };
  }
  const error = graphError(json);
  if (error === undefined) {
    const code = status === 429 ? 'http_429' : status >= 500 ? 'http_5xx' : `http_${status}`;
    const classified = status === 429 || status >= 500
      ? new TransientError({ code, httpStatus: status, retryAfterMs, rateLimited: status === 429 })
      : new PermanentError({ reason: code, httpStatus: status });
    return { ok: false, error: classified, blamesEvent: false, eventIndex: undefined };
  }
  const classified = classifyMetaError(error, status, retryAfterMs);
  const blamesEvent = classified instanceof PermanentError && error.code === 100;
  return {
    ok: false,
    error: classified,
    blamesEvent,
    eventIndex: blamesEvent ? eventIndexFromMessage(error.error_user_msg) ?? eventIndexFromMessage(error.message) : undefined,
  };
}
