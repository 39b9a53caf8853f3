import type { ActiveFault } from './faults.js';
import type { Reply } from './http.js';

/**
 * Data Manager REST errors: the standard `google.rpc.Status` as JSON, `{error: {code, message,
 * status, details}}`, with an ErrorInfo (reason, domain `datamanager.googleapis.com`), a BadRequest
 * for field problems (snake_case paths such as `events[3].user_data.user_identifiers[0].email_address`),
 * RetryInfo on quota errors and a RequestInfo. Shapes: https://cloud.google.com/apis/design/errors
 * and https://developers.google.com/data-manager/api/devguides/concepts/understand-errors.
 */

export const DM_DOMAIN = 'datamanager.googleapis.com';

/** One field problem: the ErrorReason and the path Google names. */
export interface DmViolation {
  reason: string;
  field: string;
  description: string;
}

export interface DmErrorDetail {
  '@type': string;
  [key: string]: unknown;
}

export interface DmErrorBody {
  error: { code: number; message: string; status: string; details: DmErrorDetail[] };
}

export function dmError(
  httpStatus: number, status: string, message: string,
  extra: { reason?: string; domain?: string; metadata?: Record<string, string>; violations?: DmViolation[]; retryDelayS?: number; requestId: string },
): Reply {
  const details: DmErrorDetail[] = [];
  if (extra.reason !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: extra.reason, domain: extra.domain ?? DM_DOMAIN, metadata: extra.metadata ?? {} });
  }
  if (extra.violations !== undefined && extra.violations.length > 0) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: extra.violations.map(({ field, description }) => ({ field, description })) });
  }
  if (extra.retryDelayS !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${extra.retryDelayS}s` });
  details.push({ '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId: extra.requestId });
  const body: DmErrorBody = { error: { code: httpStatus, message, status, details } };
  return { status: httpStatus, body, ...(extra.retryDelayS !== undefined && { headers: { 'retry-after': String(extra.retryDelayS) } }) };
}

/** 400 INVALID_ARGUMENT for field violations; the first violation's reason goes into ErrorInfo. */
export function invalidArgument(requestId: string, violations: DmViolation[]): Reply {
  const first = violations[0];
  return dmError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', { reason: first?.reason ?? 'INVALID_ARGUMENT', violations, requestId });
}

export function unauthenticated(requestId: string): Reply {
  return dmError(401, 'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: 'ACCESS_TOKEN_EXPIRED', domain: 'googleapis.com', requestId });
}

export function scopeInsufficient(requestId: string): Reply {
  return dmError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
    reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', domain: 'googleapis.com',
    metadata: { service: DM_DOMAIN, method: 'google.ads.datamanager.v1.IngestionService.IngestEvents' }, requestId,
  });
}

export function resourceExhausted(requestId: string, retryDelayS: number): Reply {
  return dmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric \'Requests\' and limit \'Requests per minute\' of service \'datamanager.googleapis.com\'.', {
    reason: 'RESOURCE_EXHAUSTED', requestId, retryDelayS,
  });
}

/** What Google API front ends answer for an oversized body (no details). */
export function payloadTooLarge(requestId: string, limitBytes: number): Reply {
  return dmError(400, 'INVALID_ARGUMENT', `Request payload size exceeds the limit: ${limitBytes} bytes.`, { requestId });
}

/** Answers for Data Manager faults; undefined for generic ones (delay, drop, hang) and `refuse-event` (applied by the handler). */
export function dataManagerFaultReply(fault: ActiveFault, requestId: string): Reply | undefined {
  const retryS = fault.retryAfterS ?? 30;
  switch (fault.kind) {
    case 'http-500': return dmError(500, 'INTERNAL', 'Internal error encountered.', { reason: 'INTERNAL_ERROR', requestId });
    case 'http-503': return dmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', { requestId });
    case 'http-429': {
      const reply = dmError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', { reason: 'RESOURCE_EXHAUSTED', requestId });
      return { ...reply, headers: { 'retry-after': String(retryS) } };
    }
    case 'resource-exhausted': return resourceExhausted(requestId, retryS);
    case 'token-expired':
    case 'token-revoked': return unauthenticated(requestId);
    case 'permission-denied': return dmError(403, 'PERMISSION_DENIED', 'The caller does not have permission', { reason: 'PERMISSION_DENIED', requestId });
    case 'account-terms': return dmError(400, 'FAILED_PRECONDITION', 'Required terms and conditions are not accepted.', { reason: 'TERMS_AND_CONDITIONS_NOT_SIGNED', requestId });
    case 'payload-too-large': return { status: 413, body: { error: { code: 413, message: 'Request Entity Too Large', status: 'FAILED_PRECONDITION', details: [] } } };
    default: return undefined;
  }
}
