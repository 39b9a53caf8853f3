export { startSandbox, createSandboxApp, type Sandbox, type SandboxApp } from './server.js';
export {
  SANDBOX_DEFAULTS, type SandboxDataManagerOptions, type SandboxOptions, type SandboxMetaOptions, type SandboxGoogleOptions, type SandboxOAuthOptions,
  type SandboxOAuthClient,
} from './options.js';
export type { SandboxControl, SandboxSnapshot } from './control.js';
export {
  FAULT_KINDS, META_TRANSIENT_CODES, FaultSpecError, validateFaultSpec,
  type FaultKind, type FaultSpec, type ActiveFault, type SandboxProvider, type MetaTransientCode,
} from './faults.js';
export type { DestinationStats, ProviderStats, OAuthStats, MetaAcceptedEvent, GoogleAcceptedRow } from './state.js';
export { META_MAX_EVENTS } from './meta.js';
export { META_SUBCODES, META_ACTION_SOURCES } from './meta-rules.js';
export { GOOGLE_MAX_ROWS } from './google.js';
export { parseGoogleDateTime } from './google-rules.js';
export { parseSandboxArgs, parseFaultArg, type ParsedArgs } from './args.js';
export { measureThroughput, type ThroughputOptions, type ThroughputResult } from './throughput.js';
export type * from './types.js';
export { freeLocalPort } from './free-port.js';
export { DM_MAX_DESTINATIONS, DM_MAX_EVENTS, DM_MAX_IDENTIFIERS } from './data-manager-rules.js';
export type { DmErrorBody, DmViolation } from './data-manager-errors.js';
export type { DataManagerAcceptedEvent, DataManagerRequestRecord, DataManagerStats } from './data-manager-state.js';
