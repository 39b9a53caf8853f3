import type { Consent, IngestItem } from '../contract.js';
import { MESSAGING_USER_DATA_KEYS, messagingSkipReason } from '../meta-messaging.js';
import type {
  EventMetadata,
  MetaDataProcessing,
  MetaMatchFields,
  MetaPreparedEvent,
  MetaUserDigests,
  SkipReason,
} from '../types.js';

/** Meta rejects a whole request holding an event older than this (docs/platforms.md#meta-event-time-window). */
export const META_MAX_EVENT_AGE_S = 7 * 24 * 60 * 60;
/** `physical_store` events may be up to 62 days old. */
export const META_MAX_PHYSICAL_STORE_EVENT_AGE_S = 62 * 24 * 60 * 60;

/** Customer-information keys as Meta names them: the digests plus the unhashed match keys. */
type MetaCustomerKey = keyof MetaUserDigests | 'client_ip_address' | 'client_user_agent' | 'fbc' | 'fbp'
  | (typeof MESSAGING_USER_DATA_KEYS)[keyof typeof MESSAGING_USER_DATA_KEYS];

/**
 * Meta's baseline matching rule (since v13.0): an event is invalid when its only customer
 * information is one of these sets or a subset of one (docs/platforms.md#meta-baseline-matching-rule).
 */
const WEAK_COMBINATIONS: readonly ReadonlySet<MetaCustomerKey>[] = [
  new Set(['ct', 'country', 'st', 'zp', 'ge', 'client_user_agent']),
  new Set(['db', 'client_user_agent']),
  new Set(['fn', 'ge']),
  new Set(['ln', 'ge']),
];

export type MetaPreparation = { ok: true; prepared: MetaPreparedEvent } | { ok: false; reason: SkipReason };

const MESSAGING_KEYS = Object.entries(MESSAGING_USER_DATA_KEYS) as [keyof typeof MESSAGING_USER_DATA_KEYS, MetaCustomerKey][];

function customerKeys(userData: MetaUserDigests, match: MetaMatchFields): MetaCustomerKey[] {
  const keys: MetaCustomerKey[] = Object.keys(userData) as (keyof MetaUserDigests)[];
  if (match.clientIpAddress !== undefined) keys.push('client_ip_address');
  if (match.clientUserAgent !== undefined) keys.push('client_user_agent');
  if (match.fbc !== undefined) keys.push('fbc');
  if (match.fbp !== undefined) keys.push('fbp');
  for (const [field, key] of MESSAGING_KEYS) {
    if (match[field] !== undefined) keys.push(key);
  }
  return keys;
}

/** Meta Limited Data Use: `true` lets Meta geolocate (0, 0); an object names country and state. */
export function metaDataProcessing(limitedDataUse: Consent['limitedDataUse']): MetaDataProcessing | undefined {
  if (limitedDataUse === true) {
    return { options: ['LDU'], country: 0, state: 0 };
  }
  if (typeof limitedDataUse === 'object') {
    return { options: ['LDU'], country: limitedDataUse.country, state: limitedDataUse.state };
  }
  return undefined;
}

/**
 * Decides whether Meta can take the event and builds what it will receive (docs/architecture.md#eligibility-and-routing): not too
 * old, website events with a user agent and a page URL, and customer information that is not only
 * a weak combination.
 */
export function prepareMetaEvent(
  item: IngestItem,
  event: EventMetadata,
  userData: MetaUserDigests,
  match: MetaMatchFields,
  nowMs: number,
): MetaPreparation {
  const maxAgeS = event.actionSource === 'physical_store' ? META_MAX_PHYSICAL_STORE_EVENT_AGE_S : META_MAX_EVENT_AGE_S;
  if (Math.floor(nowMs / 1000) - event.eventTime > maxAgeS) {
    return { ok: false, reason: 'event_too_old' };
  }
  if (event.actionSource === 'website') {
    if (match.clientUserAgent === undefined) return { ok: false, reason: 'missing_client_user_agent' };
    if (match.eventSourceUrl === undefined) return { ok: false, reason: 'missing_event_source_url' };
  }
  const messaging = messagingSkipReason(event.actionSource, match);
  if (messaging !== undefined) return { ok: false, reason: messaging };
  const keys = customerKeys(userData, match);
  if (keys.length === 0) {
    return { ok: false, reason: 'no_customer_information' };
  }
  if (WEAK_COMBINATIONS.some((weak) => keys.every((key) => weak.has(key)))) {
    return { ok: false, reason: 'weak_customer_information' };
  }
  const prepared: MetaPreparedEvent = { provider: 'meta', event, userData, match };
  const dataProcessing = metaDataProcessing(item.consent?.limitedDataUse);
  if (dataProcessing !== undefined) {
    prepared.dataProcessing = dataProcessing;
  }
  return { ok: true, prepared };
}
