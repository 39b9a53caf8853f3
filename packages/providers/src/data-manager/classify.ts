import { ConfigurationError, PermanentError, TransientError, parseRetryAfterMs, type ProviderError } from '../errors.js';
import { parseDurationMs } from '../google/classify.js';
import type { HttpResponse } from '../http.js';

/**
 * The one place a Data Manager API response is classified (docs/platforms.md#dm-errors). Google
 * uses the standard `google.rpc.Status` error model; `ErrorInfo.reason` carries the Data Manager
 * ErrorReason and `BadRequest.fieldViolations[].field` the offending path, e.g.
 * `events[3].user_data.user_identifiers[0].email_address`. The API is fast-fail: one bad event
 * rejects the whole request, so the verdict says which events to fail and which to send again.
 *
 * | answer | verdict |
 * |---|---|
 * | 200 | ok: `requestId`, `fieldWarnings` counted per reason |
 * | 429, RESOURCE_EXHAUSTED | transient, rate-limited; `RetryInfo.retryDelay` or `Retry-After`, else 60 s (per-minute quota) |
 * | 5xx, 408, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNKNOWN, INTERNAL_ERROR | transient |
 * | 401, UNAUTHENTICATED | refresh the token once, then configuration |
 * | 403, 404, PERMISSION_DENIED, SERVICE_DISABLED, ACCESS_TOKEN_SCOPE_INSUFFICIENT, terms, destination-account reasons, NOT_ALLOWLISTED, … | configuration, message names the fix |
 * | 400 with violations under `events[i]` | those events permanent (reason = ErrorReason), the others re-sendable |
 * | 400 with violations under `destinations[k]` for the action id/type | events of that destination permanent |
 * | 400 naming no event | bisect: halve until the culprit stands alone |
 * | 413, "payload size exceeds the limit", TOO_MANY_EVENTS / TOO_MANY_DESTINATIONS | split and retry; never a verdict on the events |
 */

export interface DmErrorFacts {
  httpStatus: number;
  /** Canonical code name (`INVALID_ARGUMENT`, …). */
  status: string | undefined;
  /** `ErrorInfo.reason` (a Data Manager ErrorReason, or a Google-wide one such as SERVICE_DISABLED). */
  reason: string | undefined;
  /** `BadRequest.fieldViolations[].field`, in order. */
  fields: string[];
  retryDelayMs: number | undefined;
  /** `RequestInfo.requestId`, for support. */
  requestId: string | undefined;
  /** Google's message matched against fixed patterns only; never stored or logged. */
  payloadTooLarge: boolean;
}

export type DataManagerResponseClass =
  /** `eventWarnings`: warning reasons per event index; a warning naming no event holds for every event. */
  | { kind: 'ok'; requestId: string; warnings: Record<string, number>; eventWarnings: Map<number, string[]> }
  /** The whole request failed; every event gets `error`. */
  | { kind: 'failed'; error: ProviderError; refreshable: boolean }
  /** Google named events (by index in the request) or destinations (by index) as faulty. */
  | { kind: 'blamed'; error: PermanentError; events: Map<number, PermanentError>; destinations: Map<number, PermanentError> }
  /** A 400 that blames an event without saying which: halve the request. */
  | { kind: 'bisect'; error: PermanentError }
  /** The request was too large: split it and send the halves. */
  | { kind: 'split'; error: TransientError };

const TRANSIENT_STATUS = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ABORTED', 'INTERNAL', 'UNKNOWN']);
const TRANSIENT_REASONS = new Set(['INTERNAL_ERROR', 'DEADLINE_EXCEEDED']);
const SPLIT_REASONS = new Set(['TOO_MANY_EVENTS', 'TOO_MANY_DESTINATIONS']);
/** Reasons about an action's id or type: blamed on the events sent to that destination. */
const ACTION_REASONS = new Set(['INVALID_CONVERSION_ACTION_ID', 'INVALID_CONVERSION_ACTION_TYPE', 'EVENT_SOURCE_AND_DESTINATION_MISMATCH']);
/** Default wait for RESOURCE_EXHAUSTED without a delay: the quota that bites first is per minute. */
export const DM_QUOTA_DEFAULT_WAIT_MS = 60_000;
export const DM_SCOPE = 'https://www.googleapis.com/auth/datamanager';

/** The fix an operator must make, per configuration reason. Fixed texts: never data. */
export const CONFIGURATION_FIXES: Readonly<Record<string, string>> = {
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: `the access token lacks the scope ${DM_SCOPE}; grant it to the service account or re-create the refresh token with it`,
  SERVICE_DISABLED: 'enable the Data Manager API (datamanager.googleapis.com) in the Google Cloud project of the credentials',
  PERMISSION_DENIED: 'the credentials\' principal must be a user of the operating Google Ads account or of the login (manager) account',
  TERMS_AND_CONDITIONS_NOT_SIGNED: 'accept the customer data terms in the Google Ads account',
  DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED: 'accept the enhanced conversions terms in the Google Ads account',
  DESTINATION_ACCOUNT_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS: 'turn on enhanced conversions for leads in the Google Ads account',
  DESTINATION_ACCOUNT_DATA_POLICY_PROHIBITS_ENHANCED_CONVERSIONS: 'Google\'s customer data policies rule out enhanced conversions for this account; contact Google',
  DESTINATION_ACCOUNT_TYPE_MISMATCH: 'the destination account type does not match the account id; check GOOGLE_CUSTOMER_ID',
  INVALID_DESTINATION: 'check GOOGLE_CUSTOMER_ID, GOOGLE_LOGIN_CUSTOMER_ID and the conversion action ids',
  NOT_FOUND: 'check DATA_MANAGER_API_BASE_URL, GOOGLE_CUSTOMER_ID and the conversion action ids',
  OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH: 'GOOGLE_LOGIN_CUSTOMER_ID must be a manager of GOOGLE_CUSTOMER_ID, or be left unset',
  NOT_ALLOWLISTED: 'the account is not allowlisted for this feature; ask Google to add it',
  CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE: 'the account is not allowlisted for this feature; ask Google to add it',
  INVALID_CONVERSION_ACTION_ID: 'check the conversion action ids: each must exist in GOOGLE_CUSTOMER_ID',
  INVALID_CONVERSION_ACTION_TYPE: 'the conversion action must be of type UPLOAD_CLICKS (click, leads) or WEBPAGE (web)',
  DUPLICATE_DESTINATION_REFERENCE: 'two destinations share a reference (a CapConnect defect; report it)',
  REQUIRED_PREREQUISITE_LINK_MISSING: 'link the accounts in Google Ads as Google requires for this destination',
  LINKED_ACCOUNT_ONLY_ALLOWED_WITH_DATA_PARTNER_LOGIN_ACCOUNT: 'remove the linked account from the configuration',
  UNAUTHENTICATED: 'the credentials were refused; check GOOGLE_APPLICATION_CREDENTIALS or the OAuth client and refresh token',
  dm_request_invalid: 'Google refused a request-level field (a CapConnect defect or a wrong setting); see the request id in the log',
};

const CONFIGURATION = new Set(Object.keys(CONFIGURATION_FIXES));

/** A ConfigurationError whose message names the fix (fixed text), code stays a bounded label. */
export function dmConfigurationError(code: string, httpStatus: number | undefined, reference?: string, fixKey = code): ConfigurationError {
  const error = new ConfigurationError({ code, httpStatus, reference });
  const fix = CONFIGURATION_FIXES[fixKey];
  if (fix !== undefined) error.message = `${error.message}: ${fix}`;
  return error;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PAYLOAD_TOO_LARGE = /payload size exceeds the limit|request entity too large/i;

/** The facts of a Google REST error body (`{error: {code, message, status, details}}`). */
export function dmErrorFacts(response: Pick<HttpResponse, 'status' | 'json' | 'headers'>): DmErrorFacts {
  const body = isObject(response.json) && isObject(response.json['error']) ? response.json['error'] : {};
  const facts: DmErrorFacts = {
    httpStatus: response.status,
    status: typeof body['status'] === 'string' ? body['status'] : undefined,
    reason: undefined,
    fields: [],
    retryDelayMs: undefined,
    requestId: undefined,
    payloadTooLarge: response.status === 413 || (typeof body['message'] === 'string' && PAYLOAD_TOO_LARGE.test(body['message'])),
  };
  const details = Array.isArray(body['details']) ? body['details'] : [];
  for (const detail of details) {
    if (!isObject(detail)) continue;
    const type = typeof detail['@type'] === 'string' ? detail['@type'] : '';
    if (type.endsWith('google.rpc.ErrorInfo') && typeof detail['reason'] === 'string') facts.reason ??= detail['reason'];
    else if (type.endsWith('google.rpc.BadRequest') && Array.isArray(detail['fieldViolations'])) {
      for (const violation of detail['fieldViolations']) if (isObject(violation) && typeof violation['field'] === 'string') facts.fields.push(violation['field']);
    } else if (type.endsWith('google.rpc.RetryInfo')) facts.retryDelayMs = parseDurationMs(detail['retryDelay']);
    else if (type.endsWith('google.rpc.RequestInfo') && typeof detail['requestId'] === 'string') facts.requestId = detail['requestId'];
  }
  facts.retryDelayMs ??= parseRetryAfterMs(response.headers['retry-after']);
  return facts;
}

/** `events[12].user_data…` / `events[12]` → 12; undefined for other paths. */
export function indexUnder(collection: 'events' | 'destinations', field: string): number | undefined {
  const match = new RegExp(`^${collection}\\[(\\d+)\\]`).exec(field);
  if (match?.[1] === undefined) return undefined;
  const index = Number(match[1]);
  return Number.isSafeInteger(index) ? index : undefined;
}

/** Classifies an error body alone (table-driven tests use it); `events` and `destinations` bound the indexes. */
export function classifyDmError(facts: DmErrorFacts, counts: { events: number; destinations: number }): DataManagerResponseClass {
  const { httpStatus, status, reason } = facts;
  const reference = facts.requestId;
  const code = reason ?? status ?? `http_${httpStatus}`;
  if (facts.payloadTooLarge || (reason !== undefined && SPLIT_REASONS.has(reason))) {
    return { kind: 'split', error: new TransientError({ code: reason ?? 'request_too_large', httpStatus, reference }) };
  }
  if (httpStatus === 429 || status === 'RESOURCE_EXHAUSTED' || reason === 'RESOURCE_EXHAUSTED') {
    return { kind: 'failed', refreshable: false, error: new TransientError({ code: 'RESOURCE_EXHAUSTED', httpStatus, reference, retryAfterMs: facts.retryDelayMs ?? DM_QUOTA_DEFAULT_WAIT_MS, rateLimited: true }) };
  }
  if (httpStatus >= 500 || httpStatus === 408 || (status !== undefined && TRANSIENT_STATUS.has(status)) || (reason !== undefined && TRANSIENT_REASONS.has(reason))) {
    return { kind: 'failed', refreshable: false, error: new TransientError({ code, httpStatus, reference, retryAfterMs: facts.retryDelayMs }) };
  }
  if (httpStatus === 401 || status === 'UNAUTHENTICATED') {
    return { kind: 'failed', refreshable: true, error: dmConfigurationError(reason ?? 'UNAUTHENTICATED', httpStatus, reference, 'UNAUTHENTICATED') };
  }
  if (reason !== undefined && CONFIGURATION.has(reason) && !ACTION_REASONS.has(reason)) {
    return { kind: 'failed', refreshable: false, error: dmConfigurationError(reason, httpStatus, reference) };
  }
  if (httpStatus === 403 || httpStatus === 404 || status === 'PERMISSION_DENIED' || status === 'NOT_FOUND') {
    const key = httpStatus === 404 || status === 'NOT_FOUND' ? 'NOT_FOUND' : 'PERMISSION_DENIED';
    return { kind: 'failed', refreshable: false, error: dmConfigurationError(reason ?? key, httpStatus, reference, key) };
  }
  if (httpStatus !== 400 && status !== 'INVALID_ARGUMENT' && status !== 'FAILED_PRECONDITION') {
    return { kind: 'failed', refreshable: false, error: new PermanentError({ reason: code, httpStatus, reference }) };
  }
  const permanent = new PermanentError({ reason: reason ?? 'INVALID_ARGUMENT', httpStatus, reference });
  const events = new Map<number, PermanentError>();
  const destinations = new Map<number, PermanentError>();
  let requestLevel = false;
  for (const field of facts.fields) {
    const event = indexUnder('events', field);
    const destination = indexUnder('destinations', field);
    if (event !== undefined && event < counts.events) events.set(event, permanent);
    else if (destination !== undefined && destination < counts.destinations && reason !== undefined && ACTION_REASONS.has(reason)) destinations.set(destination, permanent);
    else if (destination !== undefined || (event === undefined && field !== '')) requestLevel = true;
  }
  if (events.size > 0 || destinations.size > 0) return { kind: 'blamed', error: permanent, events, destinations };
  if (requestLevel) {
    const fixKey = reason !== undefined && CONFIGURATION.has(reason) ? reason : 'dm_request_invalid';
    return { kind: 'failed', refreshable: false, error: dmConfigurationError(reason ?? 'dm_request_invalid', httpStatus, reference, fixKey) };
  }
  return { kind: 'bisect', error: permanent };
}

/** Classifies the answer to `POST /v1/events:ingest` that carried `counts.events` events. */
export function classifyDataManagerResponse(response: HttpResponse, counts: { events: number; destinations: number }): DataManagerResponseClass {
  if (response.status >= 200 && response.status < 300) {
    const body = isObject(response.json) ? response.json : undefined;
    const requestId = body?.['requestId'];
    if (typeof requestId !== 'string' || requestId === '') {
      return { kind: 'failed', refreshable: false, error: new TransientError({ code: 'invalid_response', httpStatus: response.status }) };
    }
    return { kind: 'ok', requestId, warnings: countWarnings(body?.['fieldWarnings']), eventWarnings: warningsByEvent(body?.['fieldWarnings'], counts.events) };
  }
  return classifyDmError(dmErrorFacts(response), counts);
}

/**
 * `fieldWarnings[]` → the reasons per event index (`field` = `events[3].cart_data…`); a warning whose
 * field names no event is put on every event of the request. Reasons only, no descriptions.
 */
export function warningsByEvent(warnings: unknown, events: number): Map<number, string[]> {
  const byEvent = new Map<number, string[]>();
  if (!Array.isArray(warnings)) return byEvent;
  const add = (index: number, reason: string) => {
    const list = byEvent.get(index) ?? [];
    if (!list.includes(reason)) list.push(reason);
    byEvent.set(index, list);
  };
  for (const warning of warnings) {
    const reason = isObject(warning) && typeof warning['reason'] === 'string' ? warning['reason'] : 'WARNING_REASON_UNSPECIFIED';
    const field = isObject(warning) && typeof warning['field'] === 'string' ? warning['field'] : '';
    const index = indexUnder('events', field);
    if (index !== undefined && index < events) add(index, reason);
    else for (let all = 0; all < events; all++) add(all, reason);
  }
  return byEvent;
}

/** `fieldWarnings[]` → count per reason (reasons are a bounded enum; descriptions are dropped). */
export function countWarnings(warnings: unknown): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!Array.isArray(warnings)) return counts;
  for (const warning of warnings) {
    const reason = isObject(warning) && typeof warning['reason'] === 'string' ? warning['reason'] : 'WARNING_REASON_UNSPECIFIED';
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}
