import type { GooglePreparedEvent } from '@capconnect/core';
import { PermanentError } from '../errors.js';
import { conversionDateTime } from './datetime.js';

/**
 * Google Ads upload rows from prepared (opened) jobs. Pure. Field rules:
 * docs/platforms.md#google-click-conversions (ClickConversion: gclid/gbraid/wbraid, hashed email/phone only, at most 5 identifiers,
 * consent.adUserData, no userAgent) and docs/platforms.md#google-enhancements (ConversionAdjustment ENHANCEMENT: order id, identifiers
 * including addressInfo, userAgent).
 */

/** "The maximum number [of user identifiers] is 5" (ClickConversion / ConversionAdjustment proto). */
export const MAX_USER_IDENTIFIERS = 5;

export interface GoogleUserIdentifier {
  userIdentifierSource?: 'FIRST_PARTY';
  hashedEmail?: string;
  hashedPhoneNumber?: string;
  addressInfo?: Record<string, string>;
}

export interface ClickConversionRow {
  conversionAction: string;
  conversionDateTime: string;
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  conversionValue?: number;
  currencyCode?: string;
  orderId?: string;
  userIdentifiers?: GoogleUserIdentifier[];
  consent?: { adUserData: 'GRANTED' | 'DENIED' };
}

export interface ConversionAdjustmentRow {
  adjustmentType: 'ENHANCEMENT';
  conversionAction: string;
  orderId: string;
  gclidDateTimePair?: { conversionDateTime: string };
  userIdentifiers?: GoogleUserIdentifier[];
  userAgent?: string;
}

export interface GoogleRowContext {
  customerId: string;
  /** IANA zone of the Ads account (`GOOGLE_TIME_ZONE`). */
  timeZone: string;
}

export function conversionActionResource(customerId: string, actionId: string): string {
  return `customers/${customerId}/conversionActions/${actionId}`;
}

/** Email and phone identifiers, one field per object (a proto oneof), at most `limit`. */
function contactIdentifiers(prepared: GooglePreparedEvent): GoogleUserIdentifier[] {
  if (prepared.adUserDataConsent === 'DENIED') return [];
  const ids: GoogleUserIdentifier[] = [];
  for (const hashedEmail of prepared.digests.hashedEmail ?? []) ids.push({ userIdentifierSource: 'FIRST_PARTY', hashedEmail });
  for (const hashedPhoneNumber of prepared.digests.hashedPhoneNumber ?? []) ids.push({ userIdentifierSource: 'FIRST_PARTY', hashedPhoneNumber });
  return ids;
}

export function buildClickConversion(prepared: GooglePreparedEvent, context: GoogleRowContext): ClickConversionRow {
  const { event, match } = prepared;
  // One click id: gclid, else gbraid, else wbraid (gbraid and wbraid together → GBRAID_WBRAID_BOTH_SET).
  const clickId = match.gclid !== undefined ? { gclid: match.gclid }
    : match.gbraid !== undefined ? { gbraid: match.gbraid }
      : match.wbraid !== undefined ? { wbraid: match.wbraid } : {};
  const identifiers = contactIdentifiers(prepared).slice(0, MAX_USER_IDENTIFIERS);
  return {
    conversionAction: conversionActionResource(context.customerId, prepared.conversionActionId),
    conversionDateTime: conversionDateTime(event.eventTime, context.timeZone),
    ...clickId,
    ...(event.value !== undefined && { conversionValue: event.value }),
    ...(event.currency !== undefined && { currencyCode: event.currency }),
    ...(event.orderId !== undefined && { orderId: event.orderId }),
    ...(identifiers.length > 0 && { userIdentifiers: identifiers }),
    ...(prepared.adUserDataConsent !== undefined && { consent: { adUserData: prepared.adUserDataConsent } }),
  };
}

export function buildConversionAdjustment(prepared: GooglePreparedEvent, context: GoogleRowContext): ConversionAdjustmentRow {
  const { event, match, digests } = prepared;
  // "The order ID is required for enhancements" (ConversionAdjustment proto).
  if (event.orderId === undefined) throw new PermanentError({ reason: 'no_order_id' });
  const identifiers = contactIdentifiers(prepared);
  // An address identifier needs first name, last name, country code and postal code (py-ecw sample).
  if (prepared.adUserDataConsent !== 'DENIED' && digests.hashedFirstName !== undefined && digests.hashedLastName !== undefined
    && match.countryCode !== undefined && match.postalCode !== undefined) {
    identifiers.push({
      addressInfo: {
        hashedFirstName: digests.hashedFirstName,
        hashedLastName: digests.hashedLastName,
        ...(digests.hashedStreetAddress !== undefined && { hashedStreetAddress: digests.hashedStreetAddress }),
        ...(match.city !== undefined && { city: match.city }),
        ...(match.state !== undefined && { state: match.state }),
        countryCode: match.countryCode,
        postalCode: match.postalCode,
      },
    });
  }
  const limited = identifiers.slice(0, MAX_USER_IDENTIFIERS);
  return {
    adjustmentType: 'ENHANCEMENT',
    conversionAction: conversionActionResource(context.customerId, prepared.conversionActionId),
    orderId: event.orderId,
    // "optional but recommended" for enhancements (py-ecw sample).
    gclidDateTimePair: { conversionDateTime: conversionDateTime(event.eventTime, context.timeZone) },
    ...(limited.length > 0 && { userIdentifiers: limited }),
    ...(match.userAgent !== undefined && { userAgent: match.userAgent }),
  };
}

const DAY_MS = 86_400_000;

/**
 * How long after the event Google still takes the row. Click conversions: up to 90 days after the
 * click, the longest click-through window (Google Ads Help "About offline conversion imports";
 * `EXPIRED_EVENT` after it). We cannot see the click time, so the conversion time stands in for it,
 * which errs on the side of sending (Google then answers EXPIRED_EVENT, a permanent row error).
 * Enhancements: `CONVERSION_EXPIRED` is documented for adjustments older than 54 days
 * (docs/platforms.md#google-time-windows).
 */
export function googleExpiresAtMs(prepared: Pick<GooglePreparedEvent, 'mode' | 'event'>): number {
  const windowMs = (prepared.mode === 'click' ? 90 : 54) * DAY_MS;
  return prepared.event.eventTime * 1000 + windowMs - 60_000;
}

export type GoogleRow = ClickConversionRow | ConversionAdjustmentRow;

export function buildGoogleRow(prepared: GooglePreparedEvent, context: GoogleRowContext): GoogleRow {
  return prepared.mode === 'click' ? buildClickConversion(prepared, context) : buildConversionAdjustment(prepared, context);
}
