// Public API of @capconnect/core. Keep the seal and types exports: packages/queue and the workers use them.
export * from './types.js';
export { SealError, createKeyring, generateKeyText, type Keyring } from './seal.js';
export {
  MAX_CONTENTS,
  MAX_CUSTOMER_VALUE_LENGTH,
  MAX_CUSTOMER_VALUES,
  MAX_FUTURE_SKEW_S,
  consentSchema,
  customerSchema,
  eventSchema,
  ingestItemSchema,
  parseIngestItem,
  ingestContractCompiled,
  warmIngestContract,
  type Consent,
  type ContractIssue,
  type Customer,
  type CustomerValue,
  type IngestEvent,
  type IngestItem,
  type ParseIngestItemOptions,
  type ParseIngestItemResult,
} from './contract.js';
export { EMPTY_STRING_DIGEST, isDigest, sha256Hex } from './hash.js';
export { DERIVED_EVENT_ID_PREFIX, POSTED_EVENT_ID_PREFIX, canonicalJson, deriveEventId, postedEventId } from './event-id.js';
export { MAX_CUSTOM_DATA_BYTES, MAX_EVENT_AGE_S, MAX_ITEM_BYTES } from './contract-limits.js';
export { prepareEvent, type PrepareOptions, type PrepareResult } from './prepare/prepare-event.js';
export { GOOGLE_MAX_USER_IDENTIFIERS, conversionActionFor, type GoogleConversionAction } from './prepare/google.js';
export {
  DATA_MANAGER_MAX_USER_IDENTIFIERS, DERIVED_TRANSACTION_ID_PREFIX, dataManagerEventSource, dataManagerTransactionId, prepareDataManagerEvent,
} from './prepare/data-manager.js';
export { hasUserIdentifier } from './prepare/identifiers.js';
export { META_MAX_EVENT_AGE_S, META_MAX_PHYSICAL_STORE_EVENT_AGE_S } from './prepare/meta.js';
export { MESSAGING_CHANNELS, MESSAGING_IDENTIFIERS, MESSAGING_USER_DATA_KEYS, messagingSkipReason, type MessagingChannel } from './meta-messaging.js';
export { isSupportedCallingCode } from './normalize/phone.js';
export { toAlpha2 } from './normalize/country.js';
export { hashMetaUserData, type MetaUserData } from './normalize/meta.js';
export { hashGoogleIdentifiers, type GoogleAddress, type GoogleIdentifiers } from './normalize/google.js';
export type { NormalizeContext } from './normalize/context.js';
