export * from './types.js';
export {
  DM_MAX_DESTINATIONS_PER_REQUEST, DM_MAX_EVENTS_PER_REQUEST, DM_MAX_FUTURE_SKEW_S, DM_MAX_USER_IDENTIFIERS, buildDataManagerEvent,
  buildIngestEventsRequest, dataManagerExpiresAtMs, prevalidateDataManagerEvent, rfc3339, userIdentifiers,
} from './build.js';
export { DM_DEFAULT_MAX_REQUEST_BYTES, eventBytes, planIngestRequests, type RequestPlan, type SplitLimits } from './split.js';
export {
  CONFIGURATION_FIXES, DM_QUOTA_DEFAULT_WAIT_MS, DM_SCOPE, classifyDataManagerResponse, classifyDmError, countWarnings, dmConfigurationError,
  dmErrorFacts, indexUnder, warningsByEvent, type DataManagerResponseClass, type DmErrorFacts,
} from './classify.js';
export {
  createDataManagerTokenSource, tokenError, type DataManagerCredentials, type DataManagerTokenSource, type DataManagerTokenSourceOptions,
} from './auth.js';
export {
  DATA_MANAGER_DEFAULT_BASE_URL, DataManagerClient, type DataManagerAcceptedRequest, type DataManagerClientOptions, type DataManagerIngestOptions,
  type DataManagerIngestOutcome, type RequestPermitSource,
} from './client.js';
export { int64, parseRequestStatus, type DmDestinationStatus, type DmRequestStatus, type DmRequestStatusResult } from './status.js';
export { dataManagerInput } from './input.js';
