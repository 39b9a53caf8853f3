/**
 * Wire shapes of the three fake platforms, exported so provider clients and tests parse the same types.
 *
 * Terminology:
 * - destination: a Meta pixel id or a Google Ads customer id (digits only).
 * - received: events/rows that arrived in a request that passed authentication and routing.
 * - accepted: newly recorded events/rows (Meta: valid and not a 48 h duplicate; Google: row without error).
 * - deduplicated: Meta events whose `event_id`+`event_name` was already seen within 48 h; Google rows refused
 *   because their order id (or click) was already recorded.
 * - rejected: events in a refused Meta batch, or Google rows that came back with a row error.
 */

// ---------------------------------------------------------------------------------------------- Meta

/** Meta `action_source` values (server-event parameters page). */
export type MetaActionSource =
  | 'email' | 'website' | 'app' | 'phone_call' | 'chat' | 'physical_store'
  | 'system_generated' | 'business_messaging' | 'other';

/** `user_data` as CapConnect sends it: digests for matching keys, raw values for the never-hashed ones. */
export interface MetaUserData {
  em?: string | string[];
  ph?: string | string[];
  fn?: string | string[];
  ln?: string | string[];
  ge?: string | string[];
  db?: string | string[];
  ct?: string | string[];
  st?: string | string[];
  zp?: string | string[];
  country?: string | string[];
  external_id?: string | string[];
  client_ip_address?: string;
  client_user_agent?: string;
  fbc?: string;
  fbp?: string;
  [key: string]: unknown;
}

/** One server event of a Meta CAPI request (`data[i]`). */
export interface MetaServerEvent {
  event_name: string;
  event_time: number;
  action_source: MetaActionSource;
  user_data: MetaUserData;
  event_id?: string;
  event_source_url?: string;
  custom_data?: Record<string, unknown>;
  opt_out?: boolean;
  data_processing_options?: string[];
  data_processing_options_country?: number;
  data_processing_options_state?: number;
  [key: string]: unknown;
}

/** Body of `POST /{version}/{pixelId}/events`. `access_token` may also be in the query string. */
export interface MetaEventsRequest {
  data: MetaServerEvent[];
  access_token?: string;
  test_event_code?: string;
  partner_agent?: string;
}

/** Meta success body (SDK `EventResponse`). */
export interface MetaSuccessBody {
  events_received: number;
  messages: string[];
  fbtrace_id: string;
}

/** Graph API error object (https://developers.facebook.com/docs/graph-api/guides/error-handling). */
export interface MetaGraphError {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient: boolean;
  fbtrace_id: string;
}

export interface MetaErrorBody {
  error: MetaGraphError;
}

// ---------------------------------------------------------------------------------------------- Google Ads

export type GoogleConsentStatus = 'GRANTED' | 'DENIED' | 'UNSPECIFIED' | 'UNKNOWN';

export interface GoogleAddressInfo {
  hashedFirstName?: string;
  hashedLastName?: string;
  hashedStreetAddress?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  countryCode?: string;
}

/** One `UserIdentifier` (a proto oneof: exactly one identifier field per object). */
export interface GoogleUserIdentifier {
  userIdentifierSource?: 'FIRST_PARTY' | 'THIRD_PARTY' | 'UNSPECIFIED' | 'UNKNOWN';
  hashedEmail?: string;
  hashedPhoneNumber?: string;
  addressInfo?: GoogleAddressInfo;
}

export interface GoogleClickConversion {
  conversionAction: string;
  conversionDateTime: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversionValue?: number;
  currencyCode?: string;
  orderId?: string;
  userIdentifiers?: GoogleUserIdentifier[];
  consent?: { adUserData?: GoogleConsentStatus; adPersonalization?: GoogleConsentStatus };
  [key: string]: unknown;
}

export interface GoogleConversionAdjustment {
  adjustmentType: 'ENHANCEMENT' | 'RESTATEMENT' | 'RETRACTION';
  conversionAction: string;
  orderId?: string;
  gclidDateTimePair?: { gclid?: string; conversionDateTime?: string };
  adjustmentDateTime?: string;
  userIdentifiers?: GoogleUserIdentifier[];
  userAgent?: string;
  [key: string]: unknown;
}

export interface UploadClickConversionsRequest {
  conversions: GoogleClickConversion[];
  partialFailure: boolean;
  validateOnly?: boolean;
  jobId?: number;
}

export interface UploadConversionAdjustmentsRequest {
  conversionAdjustments: GoogleConversionAdjustment[];
  partialFailure: boolean;
  validateOnly?: boolean;
  jobId?: number;
}

/** `location.fieldPathElements[]`; proto3 JSON omits `index` when it is 0. */
export interface GoogleFieldPathElement {
  fieldName: string;
  index?: number;
}

/** A `GoogleAdsError`; `errorCode` is a oneof such as `{conversionUploadError: "UNPARSEABLE_GCLID"}`. */
export interface GoogleAdsError {
  errorCode: Record<string, string>;
  message: string;
  trigger?: { stringValue: string };
  location?: { fieldPathElements: GoogleFieldPathElement[] };
  details?: { quotaErrorDetails?: { rateScope: string; rateName: string; retryDelay: string } };
}

export interface GoogleAdsFailure {
  '@type': string;
  errors: GoogleAdsError[];
  requestId: string;
}

/** `google.rpc.Status` as used for `partialFailureError` (code 3 = INVALID_ARGUMENT). */
export interface GoogleRpcStatus {
  code: number;
  message: string;
  details: GoogleAdsFailure[];
}

export interface GoogleClickConversionResult {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversionAction?: string;
  conversionDateTime?: string;
  userIdentifiers?: GoogleUserIdentifier[];
}

export interface GoogleConversionAdjustmentResult {
  gclidDateTimePair?: { gclid?: string; conversionDateTime?: string };
  orderId?: string;
  conversionAction?: string;
  adjustmentDateTime?: string;
  adjustmentType?: string;
}

/** 200 body of `:uploadClickConversions`; `results[i]` is `{}` for a failed row; no results with validateOnly. */
export interface UploadClickConversionsResponse {
  partialFailureError?: GoogleRpcStatus;
  results?: GoogleClickConversionResult[];
  jobId?: string;
}

export interface UploadConversionAdjustmentsResponse {
  partialFailureError?: GoogleRpcStatus;
  results?: GoogleConversionAdjustmentResult[];
  jobId?: string;
}

/** `google.rpc.BadRequest`, used for JSON that does not parse into the request proto (unknown field, bad enum). */
export interface GoogleBadRequestDetail {
  '@type': 'type.googleapis.com/google.rpc.BadRequest';
  fieldViolations: { field: string; description: string }[];
}

/** Request-level HTTP error body (auth, quota, malformed request). */
export interface GoogleApiErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details: (GoogleAdsFailure | GoogleBadRequestDetail)[];
  };
}

// ---------------------------------------------------------------------------------------------- OAuth

export interface OAuthTokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
}

export interface OAuthErrorBody {
  error: 'invalid_grant' | 'invalid_client' | 'invalid_request' | 'unsupported_grant_type' | 'server_error' | 'rate_limit_exceeded';
  error_description: string;
}
