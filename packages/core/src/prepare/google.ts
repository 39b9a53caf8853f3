import type { IngestItem } from '../contract.js';
import type { GoogleIdentifiers } from '../normalize/google.js';
import { capIdentifiers, hasUserIdentifier } from './identifiers.js';
import type {
  EventMetadata,
  GoogleConsentStatus,
  GoogleDigests,
  GoogleMatchFields,
  AdsApiMode,
  GoogleApi,
  GoogleMode,
  GooglePreparedEvent,
  SkipReason,
  Warning,
} from '../types.js';

/** A Google conversion action and how conversions for it are uploaded. */
export interface GoogleConversionAction {
  /** Numeric conversion action id. */
  id: string;
  mode: GoogleMode;
}

/** Google accepts at most this many `userIdentifiers` per conversion (docs/platforms.md#google-click-conversions). */
export const GOOGLE_MAX_USER_IDENTIFIERS = 5;

export interface GoogleRouting {
  actions: ReadonlyMap<string, GoogleConversionAction>;
  fallbackAction?: GoogleConversionAction | undefined;
  /** `GOOGLE_API`. Default `ads-api` (the caller passes the configured value). */
  api?: GoogleApi | undefined;
}

/** The conversion action for an event name: its own, else the fallback. */
export function conversionActionFor(eventName: string, routing: GoogleRouting): GoogleConversionAction | undefined {
  return routing.actions.get(eventName) ?? routing.fallbackAction;
}

export type GooglePreparation =
  | { ok: true; prepared: GooglePreparedEvent; warnings: Warning[] }
  | { ok: false; reason: SkipReason };

function consentStatus(item: IngestItem): GoogleConsentStatus | undefined {
  switch (item.consent?.adUserData) {
    case 'granted':
      return 'GRANTED';
    case 'denied':
      return 'DENIED';
    default:
      return undefined;
  }
}

function clickIds(item: IngestItem, mode: AdsApiMode): Pick<GoogleMatchFields, 'gclid' | 'gbraid' | 'wbraid'> {
  const ids: Pick<GoogleMatchFields, 'gclid' | 'gbraid' | 'wbraid'> = {};
  const { gclid, gbraid, wbraid } = item.event;
  if (gclid !== undefined && gclid.trim() !== '') ids.gclid = gclid;
  // Conversions from gbraid/wbraid clicks cannot be enhanced (docs/platforms.md#google-enhancements).
  if (mode === 'click') {
    if (gbraid !== undefined && gbraid.trim() !== '') ids.gbraid = gbraid;
    if (wbraid !== undefined && wbraid.trim() !== '') ids.wbraid = wbraid;
  }
  return ids;
}

/**
 * Decides whether Google can take the event and builds what it will receive (docs/architecture.md#eligibility-and-routing):
 * a conversion action for the event name; click mode needs a click id or a hashed email/phone;
 * enhancement mode needs the order id and is the only mode that carries the address and user agent.
 * `consent.adUserData = denied` sends the conversion with `DENIED` and no user data at all.
 */
export function prepareGoogleEvent(
  item: IngestItem,
  event: EventMetadata,
  identifiers: GoogleIdentifiers,
  routing: GoogleRouting,
): GooglePreparation {
  const configured = conversionActionFor(event.eventName, routing);
  if (configured === undefined) {
    return { ok: false, reason: 'no_conversion_action' };
  }
  // `leads` and `web` exist only on the Data Manager path (configuration refuses them here).
  if (configured.mode !== 'click' && configured.mode !== 'enhancement') return { ok: false, reason: 'mode_not_supported' };
  const action = { id: configured.id, mode: configured.mode };
  const consent = consentStatus(item);
  const sendsUserData = consent !== 'DENIED';
  const emails = sendsUserData ? identifiers.hashedEmail : [];
  const phones = sendsUserData ? identifiers.hashedPhoneNumber : [];
  const address = sendsUserData && action.mode === 'enhancement' ? identifiers.address : undefined;
  const match: GoogleMatchFields = clickIds(item, action.mode);

  if (action.mode === 'click' && Object.keys(match).length === 0 && emails.length === 0 && phones.length === 0) {
    return { ok: false, reason: 'no_click_id_or_identifier' };
  }
  if (action.mode === 'enhancement' && event.orderId === undefined) {
    return { ok: false, reason: 'no_order_id' };
  }
  if (action.mode === 'enhancement' && !hasUserIdentifier({ hashedEmail: emails, hashedPhoneNumber: phones, ...address?.hashed })) {
    return { ok: false, reason: 'no_user_identifier' };
  }

  // At most 5: the first email, the first phone and the address first, then further emails, then phones.
  const capped = capIdentifiers(emails, phones, address !== undefined, GOOGLE_MAX_USER_IDENTIFIERS);
  const digests: GoogleDigests = {};
  if (capped.emails.length > 0) digests.hashedEmail = capped.emails;
  if (capped.phones.length > 0) digests.hashedPhoneNumber = capped.phones;
  if (address !== undefined) {
    Object.assign(digests, address.hashed);
    Object.assign(match, address.plain);
  }
  const userAgent = item.event.clientUserAgent;
  if (action.mode === 'enhancement' && sendsUserData && userAgent !== undefined && userAgent.trim() !== '') {
    match.userAgent = userAgent;
  }

  const prepared: GooglePreparedEvent = {
    provider: 'google',
    event,
    mode: action.mode,
    conversionActionId: action.id,
    digests,
    match,
  };
  if (consent !== undefined) {
    prepared.adUserDataConsent = consent;
  }
  const warnings = capped.droppedFields.map((field): Warning => ({ field, code: 'too_many_identifiers' }));
  if (match.gbraid !== undefined && match.wbraid !== undefined) warnings.push({ field: 'event.wbraid', code: 'gbraid_and_wbraid' });
  return { ok: true, prepared, warnings };
}
