export {
  ConfigurationError, PermanentError, TransientError, coerceError, errorCode, parseRetryAfterMs,
  type EventResult, type ProviderError,
} from './errors.js';
export { HttpClient, type HttpClientOptions, type HttpResponse } from './http.js';
export type { RequestObserver, RequestRecord } from './observer.js';
export { MetaClient, type MetaClientOptions } from './meta/client.js';
export { classifyMetaError, classifyMetaResponse, eventIndexFromMessage, type MetaGraphError, type MetaResponseClass } from './meta/classify.js';
export {
  buildMetaBody, buildMetaEvent, metaExpiresAtMs, metaMaxAgeS, prevalidateMetaEvent, type MetaEventsBody, type MetaServerEvent,
} from './meta/payload.js';
export { GoogleClient, type GoogleClientOptions } from './google/client.js';
export {
  ALREADY_RECORDED, REFRESHABLE, SCHEDULED_WAIT_MS, adsErrors, classifyGoogleCode, classifyGoogleResponse, mapRowErrors, parseDurationMs, rowOf,
  type AdsErrorFacts, type GoogleResponseClass,
} from './google/classify.js';
export { conversionDateTime } from './google/datetime.js';
export { TokenProvider, type OAuthRefreshOutcome, type TokenProviderOptions, type TokenSource } from './google/oauth.js';
export {
  MAX_USER_IDENTIFIERS, buildClickConversion, buildConversionAdjustment, buildGoogleRow, conversionActionResource, googleExpiresAtMs,
  type ClickConversionRow, type ConversionAdjustmentRow, type GoogleRow, type GoogleRowContext, type GoogleUserIdentifier,
} from './google/payload.js';
export * from './data-manager/index.js';
export { GOOGLE_ADS_DEFAULT_MAX_REQUEST_BYTES, META_DEFAULT_MAX_REQUEST_BYTES, planByBytes, type BytePlan } from './request-budget.js';
