import type { Customer } from '../contract.js';
import type { Digest, GoogleDigests, GoogleMatchFields, Warning } from '../types.js';
import { customerCountry, type NormalizeContext } from './context.js';
import { normalizeGoogleCountry } from './country.js';
import { normalizeGoogleEmail } from './email.js';
import { normalizeDataManagerFamilyName, normalizeDataManagerGivenName, normalizeGoogleAddressText, normalizeGooglePlain } from './names.js';
import { normalizeGooglePhone, type PhoneRegion } from './phone.js';
import { digestInto, normalizeInto } from './values.js';

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
  const region: PhoneRegion = { country: customerCountry(customer), defaultCallingCode: context.defaultCallingCode, memo: context.phoneMemo };
  const memo = context.digestMemo;
  const warnings: Warning[] = [];
  const identifiers: GoogleIdentifiers = { hashedEmail: [], hashedPhoneNumber: [], warnings };
  const firstName: Digest[] = [];
  const lastName: Digest[] = [];
  const street: Digest[] = [];
  const city: string[] = [];
  const state: string[] = [];
  const postalCode: string[] = [];
  const countryCode: string[] = [];
  digestInto(identifiers.hashedEmail, warnings, 'customer.email', customer.email, normalizeGoogleEmail, undefined, memo);
  digestInto(identifiers.hashedPhoneNumber, warnings, 'customer.phone', customer.phone, normalizeGooglePhone, region, memo);
  digestInto(firstName, warnings, 'customer.firstName', customer.firstName, normalizeGoogleAddressText, undefined, memo);
  digestInto(lastName, warnings, 'customer.lastName', customer.lastName, normalizeGoogleAddressText, undefined, memo);
  digestInto(street, warnings, 'customer.streetAddress', customer.streetAddress, normalizeGoogleAddressText, undefined, memo);
  normalizeInto(city, warnings, 'customer.city', customer.city, normalizeGooglePlain, undefined);
  normalizeInto(state, warnings, 'customer.state', customer.state, normalizeGooglePlain, undefined);
  normalizeInto(postalCode, warnings, 'customer.zip', customer.zip, normalizeGooglePlain, undefined);
  normalizeInto(countryCode, warnings, 'customer.country', customer.country, normalizeGoogleCountry, undefined);

  const hashedFirstName = firstName[0];
  const hashedLastName = lastName[0];
  const plainPostalCode = postalCode[0];
  const plainCountryCode = countryCode[0];
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
    const [hashedStreetAddress] = street;
    const [plainCity] = city;
    const [plainState] = state;
    if (hashedStreetAddress !== undefined) address.hashed.hashedStreetAddress = hashedStreetAddress;
    if (plainCity !== undefined) address.plain.city = plainCity;
    if (plainState !== undefined) address.plain.state = plainState;
    identifiers.address = address;
    // The Data Manager forms of the same names; their warnings are the ones above already.
    const givenNames: Digest[] = [];
    const familyNames: Digest[] = [];
    digestInto(givenNames, undefined, 'customer.firstName', customer.firstName, normalizeDataManagerGivenName, undefined, memo);
    digestInto(familyNames, undefined, 'customer.lastName', customer.lastName, normalizeDataManagerFamilyName, undefined, memo);
    const [givenName] = givenNames;
    const [familyName] = familyNames;
    if (givenName !== undefined && familyName !== undefined) identifiers.dataManagerNames = { givenName, familyName };
  }
  return identifiers;
}
