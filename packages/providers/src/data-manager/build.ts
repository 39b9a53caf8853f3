import { PermanentError } from '../errors.js';
import type {
  BuiltDataManagerEvent, DataManagerConsentStatus, DataManagerDestinationConfig, DataManagerEventInput, IngestEventsRequest,
  WireConsentStatus, WireDestination, WireEvent, WireUserIdentifier,
} from './types.js';

/**
 * Builds Data Manager `IngestEventsRequest` JSON from prepared events. Pure. Field rules, limits and
 * the consent rule: docs/platforms.md#google-data-manager-api.
 */

/** "10 user identifiers in the UserData for an Event" (limits page). */
export const DM_MAX_USER_IDENTIFIERS = 10;
/** "2,000 Event resources in the events list" (limits page). */
export const DM_MAX_EVENTS_PER_REQUEST = 2000;
/** "10 Destination resources in the destinations list" (limits page). */
export const DM_MAX_DESTINATIONS_PER_REQUEST = 10;
/** How far ahead of our clock an event time may be before we call it a unit mistake (ms sent as s). */
export const DM_MAX_FUTURE_SKEW_S = 600;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const REGION = /^[A-Z]{2}$/;
const DIGITS = /^\d+$/;

const wireConsent = (status: DataManagerConsentStatus): WireConsentStatus => (status === 'GRANTED' ? 'CONSENT_GRANTED' : 'CONSENT_DENIED');

/** RFC 3339 in UTC without fractional seconds: `2026-11-29T13:03:00Z`. */
export function rfc3339(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * User identifiers, at most 10: the first email, the first phone and the address go first so a long
 * email list cannot crowd out the other kinds; then the remaining emails, then phones. The address is
 * sent only when complete (given name, family name, region and postal code are all required fields
 * of AddressInfo). With ad-user-data consent denied, none at all.
 */
export function userIdentifiers(input: DataManagerEventInput): { kept: WireUserIdentifier[]; dropped: number } {
  if (input.consent?.adUserData === 'DENIED') return { kept: [], dropped: 0 };
  const emails = (input.digests.emailAddress ?? []).map((emailAddress): WireUserIdentifier => ({ emailAddress }));
  const phones = (input.digests.phoneNumber ?? []).map((phoneNumber): WireUserIdentifier => ({ phoneNumber }));
  const { givenName, familyName } = input.digests;
  const { regionCode, postalCode } = input.plain;
  const address: WireUserIdentifier | undefined = givenName !== undefined && familyName !== undefined && regionCode !== undefined && postalCode !== undefined
    ? { address: { givenName, familyName, regionCode, postalCode } }
    : undefined;
  const [firstEmail, ...moreEmails] = emails;
  const [firstPhone, ...morePhones] = phones;
  const ordered = [firstEmail, firstPhone, address, ...moreEmails, ...morePhones].filter((id): id is WireUserIdentifier => id !== undefined);
  return { kept: ordered.slice(0, DM_MAX_USER_IDENTIFIERS), dropped: Math.max(0, ordered.length - DM_MAX_USER_IDENTIFIERS) };
}

/** One event's JSON. Never throws; `prevalidateDataManagerEvent` decides whether it may be sent. */
export function buildDataManagerEvent(input: DataManagerEventInput): BuiltDataManagerEvent {
  const { plain } = input;
  const denied = input.consent?.adUserData === 'DENIED';
  const event: WireEvent = { eventTimestamp: rfc3339(input.eventTime) };
  if (input.transactionId !== undefined && input.transactionId !== '') event.transactionId = input.transactionId;
  if (input.eventSource !== undefined) event.eventSource = input.eventSource;
  if (input.value !== undefined) event.conversionValue = input.value;
  if (input.currency !== undefined) event.currency = input.currency;
  const consent = input.consent;
  if (consent?.adUserData !== undefined || consent?.adPersonalization !== undefined) {
    event.consent = {
      ...(consent.adUserData !== undefined && { adUserData: wireConsent(consent.adUserData) }),
      ...(consent.adPersonalization !== undefined && { adPersonalization: wireConsent(consent.adPersonalization) }),
    };
  }
  const { kept } = userIdentifiers(input);
  if (kept.length > 0) event.userData = { userIdentifiers: kept };
  const ads: NonNullable<WireEvent['adIdentifiers']> = {};
  if (plain.gclid !== undefined && plain.gclid !== '') ads.gclid = plain.gclid;
  if (plain.gbraid !== undefined && plain.gbraid !== '') ads.gbraid = plain.gbraid;
  if (plain.wbraid !== undefined && plain.wbraid !== '') ads.wbraid = plain.wbraid;
  // The landing page's device (IP, user agent) is user data: only without a denial of ad-user-data consent.
  if (!denied && (plain.userAgent !== undefined || plain.ipAddress !== undefined)) {
    ads.landingPageDeviceInfo = {
      ...(plain.userAgent !== undefined && { userAgent: plain.userAgent }),
      ...(plain.ipAddress !== undefined && { ipAddress: plain.ipAddress }),
    };
  }
  if (Object.keys(ads).length > 0) event.adIdentifiers = ads;
  return { conversionActionId: input.conversionActionId, event };
}

const invalid = (reason: string): PermanentError => new PermanentError({ reason });

/**
 * What Google would refuse in this event, checked before sending: one bad event would reject the
 * whole request (fast-fail), so it must fail alone here. Returns the verdict, undefined when the
 * event may be sent. Reasons are bounded codes (`dm_…`) naming the field, never its value.
 */
export function prevalidateDataManagerEvent(input: DataManagerEventInput, built: BuiltDataManagerEvent, nowMs: number): PermanentError | undefined {
  const { event } = built;
  if (!DIGITS.test(input.conversionActionId)) return invalid('dm_invalid_conversion_action_id');
  if (!Number.isFinite(input.eventTime) || input.eventTime <= 0) return invalid('dm_invalid_event_time');
  if (input.eventTime * 1000 > nowMs + DM_MAX_FUTURE_SKEW_S * 1000) return invalid('dm_event_time_in_future');
  const ids = event.userData?.userIdentifiers ?? [];
  const ads = event.adIdentifiers;
  const hasAdId = ads?.gclid !== undefined || ads?.gbraid !== undefined || ads?.wbraid !== undefined || ads?.landingPageDeviceInfo?.ipAddress !== undefined;
  switch (input.mode) {
    case 'click':
      if (input.eventSource === undefined) return invalid('dm_no_event_source');
      if (!hasAdId && ids.length === 0) return invalid('dm_no_identifiers');
      break;
    case 'leads':
      if (input.eventSource === undefined) return invalid('dm_no_event_source');
      if (ids.length === 0) return invalid('dm_no_user_data');
      break;
    case 'web':
      if (event.transactionId === undefined) return invalid('dm_no_transaction_id');
      if (!hasAdId && ids.length === 0) return invalid('dm_no_identifiers');
      break;
  }
  if (ads?.gbraid !== undefined && ads.wbraid !== undefined) return invalid('dm_gbraid_and_wbraid');
  if (event.conversionValue !== undefined && !Number.isFinite(event.conversionValue)) return invalid('dm_invalid_value');
  if (event.currency !== undefined && !CURRENCY.test(event.currency)) return invalid('dm_invalid_currency');
  if (ids.length > DM_MAX_USER_IDENTIFIERS) return invalid('dm_too_many_identifiers');
  for (const id of ids) {
    if ('emailAddress' in id && !SHA256_HEX.test(id.emailAddress)) return invalid('dm_invalid_email_digest');
    if ('phoneNumber' in id && !SHA256_HEX.test(id.phoneNumber)) return invalid('dm_invalid_phone_digest');
    if ('address' in id) {
      if (!SHA256_HEX.test(id.address.givenName) || !SHA256_HEX.test(id.address.familyName)) return invalid('dm_invalid_name_digest');
      if (!REGION.test(id.address.regionCode)) return invalid('dm_invalid_region_code');
      if (id.address.postalCode.trim() === '' || SHA256_HEX.test(id.address.postalCode)) return invalid('dm_invalid_postal_code');
    }
  }
  return undefined;
}

function account(accountId: string): { accountType: 'GOOGLE_ADS'; accountId: string } {
  return { accountType: 'GOOGLE_ADS', accountId: accountId.replace(/-/g, '') };
}

/**
 * The request for `events`: one destination per conversion action. With one action the events carry
 * no `destinationReferences` (empty ⇒ every destination); with several, each destination's
 * `reference` is its action id and each event names its own.
 */
export function buildIngestEventsRequest(events: readonly BuiltDataManagerEvent[], config: DataManagerDestinationConfig, validateOnly: boolean): IngestEventsRequest {
  const actions = [...new Set(events.map((built) => built.conversionActionId))];
  const several = actions.length > 1;
  const destinations = actions.map((actionId): WireDestination => ({
    ...(several && { reference: actionId }),
    ...(config.loginAccountId !== undefined && config.loginAccountId !== '' && { loginAccount: account(config.loginAccountId) }),
    operatingAccount: account(config.operatingAccountId),
    productDestinationId: actionId,
  }));
  return {
    destinations,
    events: events.map((built) => (several ? { destinationReferences: [built.conversionActionId], ...built.event } : built.event)),
    encoding: 'HEX',
    ...(validateOnly && { validateOnly: true }),
  };
}

/**
 * When the worker must stop trying: 90 days after the event, the longest Google Ads click-through
 * window; Google's own event-age limit for this API is not published (docs/platforms.md#dm-unconfirmed).
 */
export function dataManagerExpiresAtMs(input: Pick<DataManagerEventInput, 'eventTime'>): number {
  return input.eventTime * 1000 + 90 * 86_400_000 - 60_000;
}
