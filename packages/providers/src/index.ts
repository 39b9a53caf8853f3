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
