import { ConfigurationError, PermanentError, TransientError, parseRetryAfterMs, type ProviderError } from '../errors.js';
import type { HttpResponse } from '../http.js';

/**
 * The one place a Google Ads API response is classified (docs/platforms.md#google-errors).
 *
 * | error code (enum value) | class | source |
 * |---|---|---|
 * | `INTERNAL_ERROR`, `TRANSIENT_ERROR`, `DEADLINE_EXCEEDED`, `ERROR_CODE_NOT_PUBLISHED`, HTTP 5xx | transient | "Error types" best-practices page |
 * | `RESOURCE_TEMPORARILY_EXHAUSTED`, `RESOURCE_EXHAUSTED`, HTTP 429 | transient, rate-limited; `retryDelay` honoured | quotas page, QuotaError proto |
 * | `OAUTH_TOKEN_EXPIRED`, `OAUTH_TOKEN_INVALID`, HTTP 401 | refresh the token once, then configuration | REST auth page |
 * | `OAUTH_TOKEN_REVOKED`, `DEVELOPER_TOKEN_*`, `authorizationError.*`, `headerError.*`, HTTP 403 | configuration | docs/platforms.md#google-errors |
 * | `CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE`, `NOT_ALLOWLISTED` | configuration; the message says to switch to `GOOGLE_API=data-manager` | docs/platforms.md#google-ads-status-in-2026 |
 * | `CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS`, `CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS`, `CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS(_ENHANCEMENT)` | configuration | docs/decisions.md#google-classification |
 * | `TOO_RECENT_CONVERSION_ACTION`, `TOO_RECENT_EVENT`, `TOO_RECENT_CALL`, `TOO_RECENT_CLICK` | scheduled: wait 6 h | enum comments "Try importing again in 6 hours" |
 * | `TOO_RECENT_CONVERSION` (adjustments) | scheduled: wait 24 h | enum comment "at least 24 hours" |
 * | every other row error (`CLICK_NOT_FOUND`, `UNPARSEABLE_GCLID`, `NO_CONVERSION_ACTION_FOUND`, …) | permanent, reason = enum value | docs/platforms.md#google-errors; unknown codes are permanent-but-logged |
 *
 * Action-level problems (`NO_CONVERSION_ACTION_FOUND`, `INVALID_CONVERSION_ACTION_TYPE`) are
 * permanent rather than configuration: they concern one event name's action, other events of the
 * same account still go through, and the dead-letter queue keeps the events for a replay.
 */

export const SCHEDULED_WAIT_MS: Readonly<Record<string, number>> = {
  TOO_RECENT_CONVERSION_ACTION: 6 * 3_600_000,
  TOO_RECENT_EVENT: 6 * 3_600_000,
  TOO_RECENT_CALL: 6 * 3_600_000,
  TOO_RECENT_CLICK: 6 * 3_600_000,
  TOO_RECENT_CONVERSION: 24 * 3_600_000,
};

/**
 * Row errors that mean "this exact conversion is already recorded": what a re-sent row gets after an
 * earlier attempt reached Google but its answer was lost (timeout, dropped connection, a worker
 * killed mid-batch). Delivery is at-least-once and Google dedups on order id / click, so these rows
 * count as delivered, not failed.
 */
export const ALREADY_RECORDED = new Set(['CLICK_CONVERSION_ALREADY_EXISTS', 'ORDER_ID_ALREADY_IN_USE', 'CONVERSION_ALREADY_ENHANCED']);

const TRANSIENT = new Set(['INTERNAL_ERROR', 'TRANSIENT_ERROR', 'DEADLINE_EXCEEDED', 'ERROR_CODE_NOT_PUBLISHED']);
const RATE_LIMITED = new Set(['RESOURCE_TEMPORARILY_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
/** A 401 with one of these is worth one forced token refresh. */
export const REFRESHABLE = new Set(['OAUTH_TOKEN_EXPIRED', 'OAUTH_TOKEN_INVALID', 'http_401']);
const CONFIGURATION = new Set([
  'OAUTH_TOKEN_REVOKED', 'OAUTH_TOKEN_EXPIRED', 'OAUTH_TOKEN_INVALID', 'OAUTH_TOKEN_DISABLED', 'NOT_ADS_USER', 'CUSTOMER_NOT_FOUND',
  'DEVELOPER_TOKEN_INVALID', 'DEVELOPER_TOKEN_NOT_APPROVED', 'DEVELOPER_TOKEN_PROHIBITED', 'DEVELOPER_TOKEN_NOT_ON_ALLOWLIST',
  'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS', 'CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS',
  'CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS', 'CUSTOMER_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS_FOR_ENHANCEMENT',
]);
/** Error families that are about the caller, never about a row. */
const CONFIGURATION_FAMILIES = new Set(['authenticationError', 'authorizationError', 'headerError', 'notAllowlistedError']);
/**
 * What the Google Ads API answers accounts it no longer takes conversion imports from (new adopters
 * since 2026-06-15): the only fix is the Data Manager path. docs/platforms.md#google-ads-status-in-2026
 */
export const NOT_ALLOWLISTED_CODES: ReadonlySet<string> = new Set(['CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', 'NOT_ALLOWLISTED']);
export const SWITCH_TO_DATA_MANAGER = 'the Google Ads API no longer takes conversion imports from this account; set GOOGLE_API=data-manager (README: "Moving from the Google Ads API")';
/** `RESOURCE_EXHAUSTED` (the daily operations quota) without a retryDelay: wait a while, not seconds. */
const QUOTA_DEFAULT_WAIT_MS = 15 * 60_000;

/** One GoogleAdsError reduced to what we use. No message text. */
export interface AdsErrorFacts {
  family: string;
  code: string;
  /** Zero-based row index, when the error is located in a row. */
  row: number | undefined;
  retryDelayMs: number | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `"30s"` / `"1.5s"` (proto3 JSON Duration) → ms. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000);
}

const ROW_COLLECTIONS = new Set(['conversions', 'conversion_adjustments', 'conversionAdjustments']);

/**
 * The row a GoogleAdsError points at: the `conversions` / `conversion_adjustments` element of
 * `location.fieldPathElements`. proto3 JSON omits a zero `index`, so a missing index means row 0.
 */
export function rowOf(error: unknown): number | undefined {
  if (!isObject(error) || !isObject(error['location'])) return undefined;
  const elements = error['location']['fieldPathElements'];
  if (!Array.isArray(elements)) return undefined;
  for (const element of elements) {
    if (!isObject(element) || typeof element['fieldName'] !== 'string' || !ROW_COLLECTIONS.has(element['fieldName'])) continue;
    const index = element['index'];
    if (index === undefined) return 0;
    return typeof index === 'number' && Number.isSafeInteger(index) && index >= 0 ? index : undefined;
  }
  return undefined;
}

/** Every GoogleAdsError inside a `google.rpc.Status`-like object's `details[]`. */
export function adsErrors(status: unknown): AdsErrorFacts[] {
  if (!isObject(status) || !Array.isArray(status['details'])) return [];
  const facts: AdsErrorFacts[] = [];
  for (const detail of status['details']) {
    if (!isObject(detail) || !Array.isArray(detail['errors'])) continue;
    for (const error of detail['errors']) {
      if (!isObject(error) || !isObject(error['errorCode'])) continue;
      const [family, code] = Object.entries(error['errorCode'])[0] ?? [];
      if (typeof family !== 'string' || typeof code !== 'string') continue;
      const details = isObject(error['details']) && isObject(error['details']['quotaErrorDetails']) ? error['details']['quotaErrorDetails'] : undefined;
      facts.push({ family, code, row: rowOf(error), retryDelayMs: parseDurationMs(details?.['retryDelay']) });
    }
  }
  return facts;
}

/** The request id of a failure (detail `requestId`), for support tickets. */
export function requestIdOf(status: unknown): string | undefined {
  if (!isObject(status) || !Array.isArray(status['details'])) return undefined;
  for (const detail of status['details']) if (isObject(detail) && typeof detail['requestId'] === 'string') return detail['requestId'];
  return undefined;
}

/** Classifies one Google Ads error code (row-level or request-level). */
export function classifyGoogleCode(facts: Pick<AdsErrorFacts, 'family' | 'code' | 'retryDelayMs'>, httpStatus: number, reference?: string): ProviderError {
  const { code, family } = facts;
  const scheduled = SCHEDULED_WAIT_MS[code];
  if (scheduled !== undefined) return new TransientError({ code, httpStatus, reference, retryAfterMs: scheduled, scheduled: true });
  if (RATE_LIMITED.has(code)) {
    const retryAfterMs = facts.retryDelayMs ?? (code === 'RESOURCE_EXHAUSTED' ? QUOTA_DEFAULT_WAIT_MS : undefined);
    return new TransientError({ code, httpStatus, reference, retryAfterMs, rateLimited: true });
  }
  if (TRANSIENT.has(code)) return new TransientError({ code, httpStatus, reference, retryAfterMs: facts.retryDelayMs });
  if (NOT_ALLOWLISTED_CODES.has(code)) {
    const error = new ConfigurationError({ code, httpStatus, reference });
    error.message = `${error.message}: ${SWITCH_TO_DATA_MANAGER}`;
    return error;
  }
  if (CONFIGURATION.has(code) || CONFIGURATION_FAMILIES.has(family)) return new ConfigurationError({ code, httpStatus, reference });
  return new PermanentError({ reason: code, httpStatus, reference });
}

/** What a whole Google response means for the rows it carried. */
export type GoogleResponseClass =
  | { ok: true; rowErrors: Map<number, ProviderError>; reference: string | undefined }
  | { ok: false; error: ProviderError; refreshable: boolean; rowErrors: Map<number, ProviderError> };

const SEVERITY = (error: ProviderError): number =>
  error instanceof PermanentError ? 3 : error instanceof ConfigurationError ? 2 : error instanceof TransientError && error.scheduled ? 1 : 0;

/** Row errors by index; when a row has several, the most severe wins (permanent > configuration > wait). */
export function mapRowErrors(facts: readonly AdsErrorFacts[], rows: number, httpStatus: number, reference?: string): Map<number, ProviderError> {
  const byRow = new Map<number, ProviderError>();
  const put = (row: number, error: ProviderError) => {
    const current = byRow.get(row);
    if (current === undefined || SEVERITY(error) > SEVERITY(current)) byRow.set(row, error);
  };
  for (const fact of facts) {
    const error = classifyGoogleCode(fact, httpStatus, reference);
    if (fact.row === undefined) {
      // An unlocated error inside partialFailureError: it cannot be pinned on a row, so it holds for all.
      for (let row = 0; row < rows; row++) put(row, error);
    } else if (fact.row < rows) {
      put(fact.row, error);
    }
  }
  return byRow;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Classifies a response to `:uploadClickConversions` / `:uploadConversionAdjustments` with `rows` rows. */
export function classifyGoogleResponse(response: HttpResponse, rows: number): GoogleResponseClass {
  const { status, json } = response;
  const headerId = headerText(response.headers['request-id']);
  if (status >= 200 && status < 300) {
    if (!isObject(json)) {
      return { ok: false, error: new TransientError({ code: 'invalid_response', httpStatus: status, reference: headerId }), refreshable: false, rowErrors: new Map() };
    }
    const partial = json['partialFailureError'];
    const reference = headerId ?? requestIdOf(partial);
    return { ok: true, rowErrors: mapRowErrors(adsErrors(partial), rows, status, reference), reference };
  }
  const body = isObject(json) && isObject(json['error']) ? json['error'] : undefined;
  const facts = adsErrors(body);
  const reference = headerId ?? requestIdOf(body);
  const retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
  const located = facts.filter((fact) => fact.row !== undefined);
  const first = facts.find((fact) => fact.row === undefined) ?? facts[0];
  let error: ProviderError;
  if (first !== undefined) {
    error = classifyGoogleCode({ ...first, retryDelayMs: first.retryDelayMs ?? retryAfterMs }, status, reference);
  } else if (status === 429 || status >= 500) {
    error = new TransientError({ code: status === 429 ? 'http_429' : 'http_5xx', httpStatus: status, reference, retryAfterMs, rateLimited: status === 429 });
  } else if (status === 401 || status === 403) {
    error = new ConfigurationError({ code: `http_${status}`, httpStatus: status, reference });
  } else {
    error = new PermanentError({ reason: `http_${status}`, httpStatus: status, reference });
  }
  if (status === 429 && error instanceof TransientError && !error.rateLimited) {
    error = new TransientError({ code: error.code, httpStatus: status, reference, retryAfterMs: error.retryAfterMs ?? retryAfterMs, rateLimited: true });
  }
  const code = error instanceof PermanentError ? error.reason : error.code;
  // A request rejected for located row errors (partial failure off, or a validation pass) blames rows.
  const rowErrors = status === 400 && located.length > 0 ? mapRowErrors(located, rows, status, reference) : new Map<number, ProviderError>();
  return { ok: false, error, refreshable: status === 401 && REFRESHABLE.has(first === undefined ? 'http_401' : code), rowErrors };
}
