import type { ActiveFault } from './faults.js';
import type { Reply } from './http.js';
import type {
  GoogleAdsError, GoogleAdsFailure, GoogleApiErrorBody, GoogleBadRequestDetail, GoogleFieldPathElement, GoogleRpcStatus,
} from './types.js';

/**
 * Google Ads REST error shapes (docs/platforms.md#google-partial-failure, docs/platforms.md#google-errors). Request-level failures are an
 * HTTP error whose `error.details[]` holds a GoogleAdsFailure; row failures are `partialFailureError`.
 */

/**
 * A row problem before it is placed at `conversions[i]`: the path below the row, in proto field names, with
 * indexes kept even when 0 (they are dropped only when the JSON is written).
 */
export interface RowError {
  errorCode: Record<string, string>;
  message: string;
  path: GoogleFieldPathElement[];
}

const STATUS_TEXT: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  401: {
    status: 'UNAUTHENTICATED',
    message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  },
  403: { status: 'PERMISSION_DENIED', message: 'The caller does not have permission' },
  404: { status: 'NOT_FOUND', message: 'Requested entity was not found.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: { status: 'INTERNAL', message: 'Internal error encountered.' },
  503: { status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
};

export function failureType(version: string): string {
  return `type.googleapis.com/google.ads.googleads.${version}.errors.GoogleAdsFailure`;
}

/** One path element; proto3 JSON leaves out a zero `index`, and so does the sandbox. */
export function element(fieldName: string, index?: number): GoogleFieldPathElement {
  return index === undefined || index === 0 ? { fieldName } : { fieldName, index };
}

export function adsError(errorCode: Record<string, string>, message: string, path?: GoogleFieldPathElement[]): GoogleAdsError {
  return path === undefined ? { errorCode, message } : { errorCode, message, location: { fieldPathElements: path } };
}

/** Request-level error with a GoogleAdsFailure detail and the `request-id` header. */
export function requestError(httpStatus: number, version: string, requestId: string, errors: GoogleAdsError[], headers: Record<string, string> = {}): Reply {
  const text = STATUS_TEXT[httpStatus] ?? { status: 'UNKNOWN', message: 'Unknown error.' };
  const failure: GoogleAdsFailure = { '@type': failureType(version), errors, requestId };
  const body: GoogleApiErrorBody = { error: { code: httpStatus, message: text.message, status: text.status, details: [failure] } };
  return { status: httpStatus, body, headers: { 'request-id': requestId, ...headers } };
}

/** 400 for JSON that the REST transcoder cannot map onto the request proto (unknown field, wrong type, enum). */
export function badPayload(requestId: string, field: string, description: string): Reply {
  const detail: GoogleBadRequestDetail = { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
  const body: GoogleApiErrorBody = { error: { code: 400, message: description, status: 'INVALID_ARGUMENT', details: [detail] } };
  return { status: 400, body, headers: { 'request-id': requestId } };
}

function pathText(path: GoogleFieldPathElement[]): string {
  return path.map((part) => (part.index === undefined ? part.fieldName : `${part.fieldName}[${part.index}]`)).join('.');
}

/** `partialFailureError` for the failed rows of one request (`collection` = conversions | conversion_adjustments). */
export function partialFailure(version: string, requestId: string, collection: string, rows: Map<number, RowError>): GoogleRpcStatus {
  const errors: GoogleAdsError[] = [];
  const texts: string[] = [];
  for (const [index, row] of rows) {
    const raw = [{ fieldName: collection, index }, ...row.path];
    errors.push(adsError(row.errorCode, row.message, raw.map((part) => element(part.fieldName, part.index))));
    texts.push(`${row.message}, at ${pathText(raw)}`);
  }
  return { code: 3, message: texts.join(', '), details: [{ '@type': failureType(version), errors, requestId }] };
}

/** Answers for Google-specific request-level faults; row-level faults return undefined here. */
export function googleFaultReply(fault: ActiveFault, version: string, requestId: string): Reply | undefined {
  const retryS = fault.retryAfterS ?? 30;
  const quota = (): GoogleAdsError => ({
    errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' },
    message: 'Too many requests. Retry in 30 seconds.'.replace('30', String(retryS)),
    details: { quotaErrorDetails: { rateScope: 'ACCOUNT', rateName: 'Requests per account', retryDelay: `${retryS}s` } },
  });
  switch (fault.kind) {
    case 'http-500':
      return requestError(500, version, requestId, [adsError({ internalError: 'INTERNAL_ERROR' }, 'An internal error has occurred.')]);
    case 'http-503':
      return requestError(503, version, requestId, [adsError({ internalError: 'TRANSIENT_ERROR' }, 'The data could not be processed at this time. Please retry.')]);
    case 'http-429':
      return requestError(429, version, requestId, [quota()], { 'retry-after': String(retryS) });
    case 'resource-exhausted':
      return requestError(429, version, requestId, [quota()]);
    case 'token-expired':
      return requestError(401, version, requestId, [adsError({ authenticationError: 'OAUTH_TOKEN_EXPIRED' }, 'Oauth token is expired.')]);
    case 'token-revoked':
      return requestError(401, version, requestId, [adsError({ authenticationError: 'OAUTH_TOKEN_REVOKED' }, 'Oauth token is revoked.')]);
    case 'account-terms':
      return requestError(403, version, requestId, [adsError({ conversionUploadError: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' },
        'The customer has not accepted the customer data terms in the conversion settings page.')]);
    case 'not-allowlisted':
      return requestError(403, version, requestId, [adsError({ notAllowlistedError: 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE' },
        'The customer is not allowlisted for this feature.')]);
    case 'permission-denied':
      return requestError(403, version, requestId, [adsError({ authorizationError: 'USER_PERMISSION_DENIED' },
        "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid")]);
    default:
      return undefined;
  }
}

/** The row error a row-level fault puts on every row, or undefined for other faults. */
export function rowFault(fault: ActiveFault, adjustments: boolean): RowError | undefined {
  const enumName = adjustments ? 'conversionAdjustmentUploadError' : 'conversionUploadError';
  switch (fault.kind) {
    case 'too-recent-conversion-action':
      return { errorCode: { [enumName]: 'TOO_RECENT_CONVERSION_ACTION' }, message: 'The conversion action was created too recently. Try importing again in 6 hours.', path: [{ fieldName: 'conversion_action' }] };
    case 'too-recent-event':
      return adjustments
        ? { errorCode: { [enumName]: 'TOO_RECENT_CONVERSION' }, message: 'The conversion was imported too recently. Try adjusting it at least 24 hours after it occurred.', path: [] }
        : { errorCode: { [enumName]: 'TOO_RECENT_EVENT' }, message: 'The click or call occurred less than 6 hours ago. Retry after 6 hours.', path: [] };
    case 'account-terms-rows':
      return { errorCode: { [enumName]: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' }, message: 'The customer has not accepted the customer data terms in the conversion settings page.', path: [] };
    default:
      return undefined;
  }
}
