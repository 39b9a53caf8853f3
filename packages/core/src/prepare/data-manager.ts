import { hash } from 'node:crypto';
import type { IngestItem } from '../contract.js';
import type { GoogleIdentifiers } from '../normalize/google.js';
import type {
  ActionSource, DataManagerDigests, DataManagerEventSource, DataManagerMatchFields, DataManagerPreparedEvent, EventMetadata,
  GoogleConsentStatus, SkipReason, Warning,
} from '../types.js';
import type { GoogleConversionAction } from './google.js';
import { capIdentifiers } from './identifiers.js';

/**
 * Eligibility and the prepared event for Google's Data Manager API (`GOOGLE_API=data-manager`).
 * Field rules: docs/platforms.md#google-data-manager-api; choices: docs/decisions.md#data-manager-transaction-id.
 */

/** "10 user identifiers in the UserData for an Event" (docs/platforms.md#dm-limits). */
export const DATA_MANAGER_MAX_USER_IDENTIFIERS = 10;

/** Prefix of a transaction id derived from an event id (the event had no order id). */
export const DERIVED_TRANSACTION_ID_PREFIX = 'cc-';

/**
 * Google's dedup and restatement key within one conversion action (docs/platforms.md#dm-dedup): the
 * order id when there is one, else `cc-` plus the first 32 hex characters of SHA-256 of the event id.
 * The derived form is stable across re-sends of the same event (so an at-least-once re-send restates
 * instead of counting twice), 35 characters whatever the event id's length, and carries nothing of
 * the event id itself. docs/decisions.md#data-manager-transaction-id
 */
export function dataManagerTransactionId(event: Pick<EventMetadata, 'eventId' | 'orderId'>): string {
  if (event.orderId !== undefined) return event.orderId;
  return DERIVED_TRANSACTION_ID_PREFIX + hash('sha256', event.eventId, 'hex').slice(0, 32);
}

const EVENT_SOURCES: Readonly<Record<ActionSource, DataManagerEventSource>> = {
  website: 'WEB',
  app: 'APP',
  physical_store: 'IN_STORE',
  phone_call: 'PHONE',
  chat: 'MESSAGE',
  business_messaging: 'MESSAGE',
  email: 'OTHER',
  system_generated: 'OTHER',
  other: 'OTHER',
};

/** The contract's `actionSource` as Data Manager's `eventSource` (required for click and leads). */
export function dataManagerEventSource(actionSource: ActionSource): DataManagerEventSource {
  return EVENT_SOURCES[actionSource];
}

export type DataManagerPreparation =
  | { ok: true; prepared: DataManagerPreparedEvent; warnings: Warning[] }
  | { ok: false; reason: SkipReason };

const consentOf = (status: 'granted' | 'denied' | undefined): GoogleConsentStatus | undefined =>
  status === 'granted' ? 'GRANTED' : status === 'denied' ? 'DENIED' : undefined;

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/**
 * Decides whether the Data Manager path can take the event and builds what it will receive.
 *
 * - `click`: a click id (gclid, gbraid, wbraid), a landing-page IP or a user identifier, else
 *   `no_click_id_or_identifier`;
 * - `leads`: a user identifier (email, phone or a complete address), else `no_user_identifier`;
 * - `web`: the order id (Google matches it with the tag's transaction id), else `no_order_id`, and
 *   an identifier as for `click`;
 * - `enhancement` exists only on the Google Ads API: `mode_not_supported` (configuration refuses it).
 *
 * With `consent.adUserData = denied` no user identifier and no landing-page device info is sent;
 * click ids still are (they identify the ad click, not the person): docs/platforms.md#dm-consent.
 * `ipAddress` is the caller-validated IP (an invalid one was already dropped with a warning).
 */
export function prepareDataManagerEvent(
  item: IngestItem,
  event: EventMetadata,
  identifiers: GoogleIdentifiers,
  action: GoogleConversionAction,
  ipAddress: string | undefined,
): DataManagerPreparation {
  if (action.mode === 'enhancement') return { ok: false, reason: 'mode_not_supported' };
  const adUserData = consentOf(item.consent?.adUserData);
  const adPersonalization = consentOf(item.consent?.adPersonalization);
  const sendsUserData = adUserData !== 'DENIED';

  const match: DataManagerMatchFields = {};
  const { gclid, gbraid, wbraid, clientUserAgent } = item.event;
  if (present(gclid)) match.gclid = gclid;
  // Google refuses gbraid and wbraid together; gbraid (web-to-app) wins.
  if (present(gbraid)) match.gbraid = gbraid;
  else if (present(wbraid)) match.wbraid = wbraid;
  if (sendsUserData && present(clientUserAgent)) match.userAgent = clientUserAgent;
  if (sendsUserData && ipAddress !== undefined) match.ipAddress = ipAddress;

  const emails = sendsUserData ? identifiers.hashedEmail : [];
  const phones = sendsUserData ? identifiers.hashedPhoneNumber : [];
  const address = sendsUserData && identifiers.address !== undefined && identifiers.dataManagerNames !== undefined
    ? { names: identifiers.dataManagerNames, plain: identifiers.address.plain }
    : undefined;
  // At most 10: the first email, the first phone and the address first, then further emails, then phones.
  const capped = capIdentifiers(emails, phones, address !== undefined, DATA_MANAGER_MAX_USER_IDENTIFIERS);
  const hasUserIdentifier = capped.emails.length > 0 || capped.phones.length > 0 || address !== undefined;
  const hasAdIdentifier = match.gclid !== undefined || match.gbraid !== undefined || match.wbraid !== undefined || match.ipAddress !== undefined;

  if (action.mode === 'leads' && !hasUserIdentifier) return { ok: false, reason: 'no_user_identifier' };
  if (action.mode === 'web' && event.orderId === undefined) return { ok: false, reason: 'no_order_id' };
  if (!hasUserIdentifier && !hasAdIdentifier) return { ok: false, reason: 'no_click_id_or_identifier' };

  const digests: DataManagerDigests = {};
  if (capped.emails.length > 0) digests.emailAddress = capped.emails;
  if (capped.phones.length > 0) digests.phoneNumber = capped.phones;
  if (address !== undefined) {
    // The address is among the first three identifiers, so it is always kept.
    digests.givenName = address.names.givenName;
    digests.familyName = address.names.familyName;
    if (address.plain.countryCode !== undefined) match.regionCode = address.plain.countryCode;
    if (address.plain.postalCode !== undefined) match.postalCode = address.plain.postalCode;
  }

  const prepared: DataManagerPreparedEvent = {
    provider: 'google',
    api: 'data-manager',
    event,
    mode: action.mode,
    conversionActionId: action.id,
    eventSource: dataManagerEventSource(event.actionSource),
    transactionId: dataManagerTransactionId(event),
    digests,
    match,
  };
  if (adUserData !== undefined || adPersonalization !== undefined) {
    const consent: NonNullable<DataManagerPreparedEvent['consent']> = {};
    if (adUserData !== undefined) consent.adUserData = adUserData;
    if (adPersonalization !== undefined) consent.adPersonalization = adPersonalization;
    prepared.consent = consent;
  }
  const warnings = capped.droppedFields.map((field): Warning => ({ field, code: 'too_many_identifiers' }));
  return { ok: true, prepared, warnings };
}
