import type { Customer } from '../contract.js';
import type { Digest, GoogleDigests, GoogleMatchFields, Warning } from '../types.js';
import { customerCountry, type NormalizeContext } from './context.js';
import { normalizeGoogleCountry } from './country.js';
import { normalizeGoogleEmail } from './email.js';
import { normalizeDataManagerFamilyName, normalizeDataManagerGivenName, normalizeGoogleAddressText, normalizeGooglePlain } from './names.js';
import { normalizeGooglePhone } from './phone.js';
import { digestValues, normalizeValues } from './values.js';

/** Google's hashed identifiers and the plain address parts, before any mode or consent rule. */
export interface GoogleIdentifiers {
  hashedEmail: Digest[];
  hashedPhoneNumber: Digest[];
  /** `addressInfo`, present only when complete (see `hashGoogleIdentifiers`). */
  address?: GoogleAddress;
  /**
   * The same address's names by the Data Manager rules (no courtesy titles, no suffixes;
   * docs/platforms.md#dm-formatting); present exactly when `address` is.
   */
  dataManagerNames?: { givenName: Digest; familyName: Digest };
  warnings: Warning[];
}

export interface GoogleAddress {
  hashed: Pick<GoogleDigests, 'hashedFirstName' | 'hashedLastName' | 'hashedStreetAddress'>;
  plain: Pick<GoogleMatchFields, 'city' | 'state' | 'postalCode' | 'countryCode'>;
}

/**
 * Google identifiers for one customer (docs/architecture.md#normalization-and-hashing).
 *
 * Google takes one `addressInfo` per identifier, so only the first usable value of each address part
 * is used. The address is kept only when it has first name, last name, country code and postal
 * code: the parts Google's own samples require; an incomplete one would fail the row.
 */
export function hashGoogleIdentifiers(customer: Customer, context: NormalizeContext): GoogleIdentifiers {
  const region = { country: customerCountry(customer), defaultCallingCode: context.defaultCallingCode, memo: context.phoneMemo };
  const memo = context.digestMemo;
  const email = digestValues('customer.email', customer.email, normalizeGoogleEmail, memo);
  const phone = digestValues('customer.phone', customer.phone, (value) => normalizeGooglePhone(value, region), memo);
  const firstName = digestValues('customer.firstName', customer.firstName, normalizeGoogleAddressText, memo);
  const lastName = digestValues('customer.lastName', customer.lastName, normalizeGoogleAddressText, memo);
  const street = digestValues('customer.streetAddress', customer.streetAddress, normalizeGoogleAddressText, memo);
  const city = normalizeValues('customer.city', customer.city, normalizeGooglePlain);
  const state = normalizeValues('customer.state', customer.state, normalizeGooglePlain);
  const postalCode = normalizeValues('customer.zip', customer.zip, normalizeGooglePlain);
  const countryCode = normalizeValues('customer.country', customer.country, normalizeGoogleCountry);

  const warnings = [email, phone, firstName, lastName, street, city, state, postalCode, countryCode].flatMap(
    (result) => result.warnings,
  );
  const identifiers: GoogleIdentifiers = {
    hashedEmail: email.digests,
    hashedPhoneNumber: phone.digests,
    warnings,
  };

  const hashedFirstName = firstName.digests[0];
  const hashedLastName = lastName.digests[0];
  const plainPostalCode = postalCode.values[0];
  const plainCountryCode = countryCode.values[0];
  if (
    hashedFirstName !== undefined &&
    hashedLastName !== undefined &&
    plainPostalCode !== undefined &&
    plainCountryCode !== undefined
  ) {
    const address: GoogleAddress = {
      hashed: { hashedFirstName, hashedLastName },
      plain: { postalCode: plainPostalCode, countryCode: plainCountryCode },
    };
    const [hashedStreetAddress] = street.digests;
    const [plainCity] = city.values;
    const [plainState] = state.values;
    if (hashedStreetAddress !== undefined) address.hashed.hashedStreetAddress = hashedStreetAddress;
    if (plainCity !== undefined) address.plain.city = plainCity;
    if (plainState !== undefined) address.plain.state = plainState;
    identifiers.address = address;
    const givenName = digestValues('customer.firstName', customer.firstName, normalizeDataManagerGivenName, memo).digests[0];
    const familyName = digestValues('customer.lastName', customer.lastName, normalizeDataManagerFamilyName, memo).digests[0];
    if (givenName !== undefined && familyName !== undefined) identifiers.dataManagerNames = { givenName, familyName };
  }
  return identifiers;
}
