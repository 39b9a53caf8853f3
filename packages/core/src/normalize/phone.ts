import {
  getCountries,
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { accept, reject, type Normalized } from './result.js';

/** Where a number written without a country code is assumed to live. */
export interface PhoneRegion {
  /** ISO 3166-1 alpha-2 of the customer's country, any case; wins over `defaultCallingCode`. */
  country?: string | undefined;
  /** Calling-code digits (`DEFAULT_COUNTRY_CODE`, e.g. `81`) used when the customer has no country. */
  defaultCallingCode: string;
  /** Per-event memo of earlier results (see `NormalizeContext.phoneMemo`). */
  memo?: Map<string, string | undefined> | undefined;
}

/** Longer inputs are not phone numbers; libphonenumber also gives up past 250 characters. */
const MAX_PHONE_INPUT_LENGTH = 64;

/** Digits and common separators only: a candidate for "already carries its country code, minus the `+`". */
const SEPARATED_DIGITS = /^[\d\s().-]+$/;
const BARE_INTERNATIONAL = /^[1-9]\d{6,14}$/;

const knownCallingCodes = new Set(getCountries().map((country) => getCountryCallingCode(country)));

/** True when `code` (digits, no `+`) is a country calling code libphonenumber knows, e.g. `81`, `1`, `44`. */
export function isSupportedCallingCode(code: string): boolean {
  return knownCallingCodes.has(code);
}

function parse(value: string, region: PhoneRegion): PhoneNumber | undefined {
  const country = region.country?.toUpperCase();
  try {
    if (country !== undefined && isSupportedCountry(country)) {
      // The options form of `(value, country)`: libphonenumber spreads a bare country into this object.
      return parsePhoneNumberFromString(value, { defaultCountry: country });
    }
    if (isSupportedCallingCode(region.defaultCallingCode)) {
      return parsePhoneNumberFromString(value, { defaultCallingCode: region.defaultCallingCode });
    }
    return parsePhoneNumberFromString(value);
  } catch {
    // libphonenumber throws on metadata it does not know; such a value is simply not a phone number here.
    return undefined;
  }
}

/**
 * A phone number in E.164 (`+819012345678`), or undefined when it is not a valid number.
 *
 * Parsed with libphonenumber's full metadata (docs/decisions.md#phone-numbers-parsed-with-libphonenumber), so `090-1234-5678` in Japan gains its `81`
 * and loses its trunk `0`, and `+44 (0)20 7946 0958` loses the `(0)`: the two failures Meta's own SDKs
 * have. A value that is invalid as a national number but valid as a
 * bare international one without its `+` (`16505551212`, `1 800 555 0100`) is read as international:
 * Meta asks for numbers that already include the country code, Google's Data Manager formatter reads
 * every number that way, and it keeps Meta's `ph` normalization idempotent.
 */
export function toE164(value: string, region: PhoneRegion): string | undefined {
  if (value.length > MAX_PHONE_INPUT_LENGTH) {
    return undefined;
  }
  if (region.memo === undefined) return parseE164(value, region);
  const key = `${region.country ?? ''}|${region.defaultCallingCode}|${value}`;
  if (region.memo.has(key)) return region.memo.get(key);
  const e164 = parseE164(value, region);
  region.memo.set(key, e164);
  return e164;
}

function parseE164(value: string, region: PhoneRegion): string | undefined {
  const national = parse(value, region);
  if (national?.isValid() === true) {
    return national.number;
  }
  const digits = value.replace(/\D/g, '');
  if (SEPARATED_DIGITS.test(value) && BARE_INTERNATIONAL.test(digits)) {
    const international = parse(`+${digits}`, region);
    if (international?.isValid() === true) {
      return international.number;
    }
  }
  return undefined;
}

/** Meta `ph`: E.164 digits without the `+` (docs/platforms.md#meta-normalization-and-hashing: "always include the country code"). */
export function normalizeMetaPhone(value: string, region: PhoneRegion): Normalized {
  const e164 = toE164(value, region);
  return e164 === undefined ? reject('invalid_phone') : accept(e164.slice(1));
}

/** Google `hashedPhoneNumber`: E.164 with the `+` (docs/platforms.md#google-normalization-and-hashing). */
export function normalizeGooglePhone(value: string, region: PhoneRegion): Normalized {
  const e164 = toE164(value, region);
  return e164 === undefined ? reject('invalid_phone') : accept(e164);
}

/**
 * True when `value` starts with `+` and is a valid international phone number (`+81 90 7777 1234`).
 * Used to keep phone numbers out of ids, which travel unhashed; `123-456-7890` has no `+` and stays
 * an ordinary order id.
 */
export function isInternationalPhoneNumber(value: string): boolean {
  const trimmed = value.trim();
  if (!trimmed.startsWith('+') || trimmed.length > MAX_PHONE_INPUT_LENGTH) return false;
  try {
    return parsePhoneNumberFromString(trimmed)?.isValid() === true;
  } catch {
    return false;
  }
}
