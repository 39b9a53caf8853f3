import type { RowError } from './google-errors.js';
import { LOOKS_HASHED, SHA256_HEX } from './http.js';
import type { GoogleClickConversion, GoogleConversionAdjustment, GoogleUserIdentifier } from './types.js';

/**
 * Row rules for Google Ads conversion uploads, pure (docs/platforms.md#google-click-conversions: ClickConversion and
 * UserIdentifier; docs/platforms.md#google-enhancements; docs/platforms.md#google-normalization-and-hashing; docs/platforms.md#google-errors). The row has already passed
 * the shape check (google-schema.ts), so field types are right.
 */

/** "yyyy-mm-dd hh:mm:ss+|-hh:mm", timezone mandatory (docs/platforms.md#google-click-conversions). */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})([+-])(\d{2}):(\d{2})$/;
const RESOURCE_NAME = /^customers\/(\d+)\/conversionActions\/(\d+)$/;
const CLICK_ID = /^[A-Za-z0-9_-]+$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Za-z]{2}$/;
/** Click conversions can be imported up to 90 days after the click (the longest click-through window). */
export const CLICK_MAX_AGE_MS = 90 * 86_400_000;
/** "Only hashed_email and hashed_phone_number are supported for conversion uploads. The maximum number … is 5." */
export const MAX_USER_IDENTIFIERS = 5;

const ID_FIELDS = ['hashedEmail', 'hashedPhoneNumber', 'mobileId', 'thirdPartyUserId', 'addressInfo'] as const;

const required = (fieldName: string): RowError => ({ errorCode: { fieldError: 'REQUIRED' }, message: 'The required field was not present.', path: [{ fieldName }] });

/** Unix ms of a Google date-time string, or an error naming what is wrong with it. */
export function parseGoogleDateTime(value: string): number | 'format' | 'values' {
  const m = DATE_TIME.exec(value);
  if (m === null) return 'format';
  const [year, month, day, hour, minute, second, sign, offH, offM] = [
    Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), m[7], Number(m[8]), Number(m[9]),
  ];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(utc);
  if (month < 1 || month > 12 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59 || offH > 14 || offM > 59) return 'values';
  return utc - (sign === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000;
}

function checkDateTime(value: string | undefined, fieldPath: { fieldName: string }[], nowMs: number | undefined): RowError | undefined {
  if (value === undefined) return undefined;
  const parsed = parseGoogleDateTime(value);
  if (parsed === 'format') {
    return { errorCode: { dateError: 'INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET' }, message: "The string date time's format should be yyyy-mm-dd hh:mm:ss+|-hh:mm.", path: fieldPath };
  }
  if (parsed === 'values') return { errorCode: { dateError: 'INVALID_FIELD_VALUES_IN_DATE_TIME' }, message: 'Field values in date time are invalid.', path: fieldPath };
  if (nowMs !== undefined && nowMs - parsed > CLICK_MAX_AGE_MS) {
    return { errorCode: { conversionUploadError: 'EXPIRED_EVENT' }, message: 'The click associated with the given identifier or iOS URL parameter is too old to be imported.', path: fieldPath };
  }
  return undefined;
}

/** The conversion action id of a resource name, or a row error. */
export function checkConversionAction(value: string | undefined, known: ReadonlySet<string>, enumName: string): RowError | string {
  if (value === undefined || value === '') return required('conversion_action');
  const m = RESOURCE_NAME.exec(value);
  if (m === null) return { errorCode: { requestError: 'RESOURCE_NAME_MALFORMED' }, message: 'Resource name is malformed.', path: [{ fieldName: 'conversion_action' }] };
  const id = m[2] ?? '';
  if (!known.has(id)) {
    return { errorCode: { [enumName]: 'NO_CONVERSION_ACTION_FOUND' }, message: "The conversion action specified in the upload request cannot be found. Make sure it's available in this account.", path: [{ fieldName: 'conversion_action' }] };
  }
  return id;
}

function checkIdentifiers(ids: GoogleUserIdentifier[], enumName: string, allowAddress: boolean): RowError | undefined {
  if (ids.length > MAX_USER_IDENTIFIERS) {
    return { errorCode: { collectionSizeError: 'TOO_MANY' }, message: 'Too many elements.', path: [{ fieldName: 'user_identifiers' }] };
  }
  const invalid = (j: number, message: string, fieldName?: string): RowError => ({
    errorCode: { [enumName]: 'INVALID_USER_IDENTIFIER' }, message,
    path: fieldName === undefined ? [{ fieldName: 'user_identifiers', index: j }] : [{ fieldName: 'user_identifiers', index: j }, { fieldName }],
  });
  for (const [j, id] of ids.entries()) {
    let set = 0;
    for (const field of ID_FIELDS) if (id[field as keyof GoogleUserIdentifier] !== undefined) set += 1;
    if (set !== 1) return invalid(j, 'A user identifier must set exactly one of hashedEmail, hashedPhoneNumber, addressInfo.');
    if (id.hashedEmail !== undefined && !SHA256_HEX.test(id.hashedEmail)) return invalid(j, 'The hashed email must be a SHA-256 digest in lowercase hex.', 'hashed_email');
    if (id.hashedPhoneNumber !== undefined && !SHA256_HEX.test(id.hashedPhoneNumber)) return invalid(j, 'The hashed phone number must be a SHA-256 digest in lowercase hex.', 'hashed_phone_number');
    const address = id.addressInfo;
    if (address === undefined) {
      if (id.hashedEmail === undefined && id.hashedPhoneNumber === undefined) {
        return { errorCode: { [enumName]: 'UNSUPPORTED_USER_IDENTIFIER' }, message: 'Only hashed email, hashed phone number and (for adjustments) address info are supported for conversion uploads.', path: [{ fieldName: 'user_identifiers', index: j }] };
      }
      continue;
    }
    if (!allowAddress) {
      return { errorCode: { [enumName]: 'UNSUPPORTED_USER_IDENTIFIER' }, message: 'Only hashed_email and hashed_phone_number are supported for conversion uploads.', path: [{ fieldName: 'user_identifiers', index: j }, { fieldName: 'address_info' }] };
    }
    for (const key of ['hashedFirstName', 'hashedLastName', 'hashedStreetAddress'] as const) {
      const value = address[key];
      if (value !== undefined && !SHA256_HEX.test(value)) return invalid(j, `The ${key} must be a SHA-256 digest in lowercase hex.`, 'address_info');
    }
    for (const key of ['city', 'state', 'postalCode', 'countryCode'] as const) {
      const value = address[key];
      if (value !== undefined && LOOKS_HASHED.test(value)) return invalid(j, `The ${key} must be sent in plain text, not hashed.`, 'address_info');
    }
    if (address.countryCode !== undefined && !COUNTRY.test(address.countryCode)) return invalid(j, 'The countryCode must be an ISO 3166-1 alpha-2 code.', 'address_info');
    if (address.hashedFirstName === undefined || address.hashedLastName === undefined || address.countryCode === undefined || address.postalCode === undefined) {
      return invalid(j, 'Address info needs hashedFirstName, hashedLastName, countryCode and postalCode.', 'address_info');
    }
  }
  return undefined;
}

function checkOrderId(orderId: string | undefined, enumName: string): RowError | undefined {
  if (orderId !== undefined && orderId.includes('@')) {
    return { errorCode: { [enumName]: 'ORDER_ID_CONTAINS_PII' }, message: 'The order ID contains personally identifiable information.', path: [{ fieldName: 'order_id' }] };
  }
  return undefined;
}

/** First rule a click conversion breaks; `actionIds` are the known conversion action ids. */
export function checkClickConversion(row: Partial<GoogleClickConversion>, actionIds: ReadonlySet<string>, nowMs: number): RowError | undefined {
  const action = checkConversionAction(row.conversionAction, actionIds, 'conversionUploadError');
  if (typeof action !== 'string') return action;
  if (row.conversionDateTime === undefined || row.conversionDateTime === '') return required('conversion_date_time');
  const date = checkDateTime(row.conversionDateTime, [{ fieldName: 'conversion_date_time' }], nowMs);
  if (date !== undefined) return date;
  if (row.gbraid !== undefined && row.wbraid !== undefined) {
    return { errorCode: { conversionUploadError: 'GBRAID_WBRAID_BOTH_SET' }, message: "Conversion can't have both gbraid and wbraid.", path: [{ fieldName: 'gbraid' }] };
  }
  for (const key of ['gclid', 'gbraid', 'wbraid'] as const) {
    const value = row[key];
    if (value !== undefined && !CLICK_ID.test(value)) {
      return { errorCode: { conversionUploadError: `UNPARSEABLE_${key.toUpperCase()}` }, message: `The ${key} could not be decoded.`, path: [{ fieldName: key }] };
    }
  }
  const ids = row.userIdentifiers ?? [];
  if (row.gclid === undefined && row.gbraid === undefined && row.wbraid === undefined && ids.length === 0) {
    return { errorCode: { fieldError: 'REQUIRED' }, message: 'A click conversion needs a gclid, gbraid, wbraid or user identifiers.', path: [{ fieldName: 'gclid' }] };
  }
  const idError = checkIdentifiers(ids, 'conversionUploadError', false);
  if (idError !== undefined) return idError;
  if (row.consent?.adPersonalization !== undefined) {
    return { errorCode: { fieldError: 'VALUE_MUST_BE_UNSET' }, message: 'ad_personalization can only be set for OfflineUserDataJobService and UserDataService.', path: [{ fieldName: 'consent' }, { fieldName: 'ad_personalization' }] };
  }
  // Sandbox assumption (README): identifiers sent while the user denied ad_user_data consent are refused.
  if (row.consent?.adUserData === 'DENIED' && ids.length > 0) {
    return { errorCode: { fieldError: 'VALUE_MUST_BE_UNSET' }, message: 'User identifiers must not be sent when consent.ad_user_data is DENIED.', path: [{ fieldName: 'user_identifiers' }] };
  }
  if (row.currencyCode !== undefined && !CURRENCY.test(row.currencyCode)) {
    return { errorCode: { currencyCodeError: 'UNSUPPORTED' }, message: 'The currency code is not supported.', path: [{ fieldName: 'currency_code' }] };
  }
  return checkOrderId(row.orderId, 'conversionUploadError');
}

/** First rule an ENHANCEMENT adjustment breaks. */
export function checkAdjustment(row: Partial<GoogleConversionAdjustment>, actionIds: ReadonlySet<string>): RowError | undefined {
  const action = checkConversionAction(row.conversionAction, actionIds, 'conversionAdjustmentUploadError');
  if (typeof action !== 'string') return action;
  if (row.adjustmentType === undefined) return required('adjustment_type');
  if (row.adjustmentType !== 'ENHANCEMENT') {
    return { errorCode: { fieldError: 'INVALID_VALUE' }, message: 'The sandbox supports only ENHANCEMENT adjustments.', path: [{ fieldName: 'adjustment_type' }] };
  }
  if (row.orderId === undefined || row.orderId === '') {
    return { errorCode: { conversionAdjustmentUploadError: 'MISSING_ORDER_ID_FOR_WEBPAGE' }, message: 'Conversion actions of type WEBPAGE require an order ID for enhancements.', path: [{ fieldName: 'order_id' }] };
  }
  const pii = checkOrderId(row.orderId, 'conversionAdjustmentUploadError');
  if (pii !== undefined) return pii;
  const adjusted = checkDateTime(row.adjustmentDateTime, [{ fieldName: 'adjustment_date_time' }], undefined)
    ?? checkDateTime(row.gclidDateTimePair?.conversionDateTime, [{ fieldName: 'gclid_date_time_pair' }, { fieldName: 'conversion_date_time' }], undefined);
  if (adjusted !== undefined) return adjusted;
  const gclid = row.gclidDateTimePair?.gclid;
  if (gclid !== undefined && !CLICK_ID.test(gclid)) {
    return { errorCode: { conversionAdjustmentUploadError: 'INVALID_USER_IDENTIFIER' }, message: 'The gclid could not be decoded.', path: [{ fieldName: 'gclid_date_time_pair' }, { fieldName: 'gclid' }] };
  }
  if (row.userAgent !== undefined && (row.userAgent.trim() === '' || LOOKS_HASHED.test(row.userAgent))) {
    return { errorCode: { fieldError: 'INVALID_VALUE' }, message: 'The user agent must be the raw User-Agent header.', path: [{ fieldName: 'user_agent' }] };
  }
  return checkIdentifiers(row.userIdentifiers ?? [], 'conversionAdjustmentUploadError', true);
}

/** The click id a conversion carries (for duplicate detection), if any. */
export function clickIdOf(row: Partial<GoogleClickConversion>): string | undefined {
  return row.gclid ?? row.gbraid ?? row.wbraid;
}
