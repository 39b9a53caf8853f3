/** Google identifier normalization, field by field (docs/architecture.md#normalization-and-hashing). */
import { describe, expect, it } from 'vitest';
import { normalizeGoogleCountry } from './country.js';
import { normalizeGoogleEmail } from './email.js';
import { normalizeGoogleAddressText } from './names.js';
import { normalizeGooglePhone } from './phone.js';
import type { Normalized } from './result.js';
import { prepareRaw } from './text.js';

type Row = readonly [input: string, expected: string | Normalized];

function check(normalize: (value: string) => Normalized, rows: readonly Row[]): void {
  it.each(rows)('%j → %j', (input, expected) => {
    const want = typeof expected === 'string' ? { ok: true, value: expected } : expected;
    expect(normalize(prepareRaw(input))).toEqual(want);
  });
}

const drop = (code: Extract<Normalized, { ok: false }>['code']): Normalized => ({ ok: false, code });

describe('hashedEmail: trim, lowercase; Gmail only: drop +suffix, then every dot of the local part', () => {
  check(normalizeGoogleEmail, [
    [' John.Doe@Example.COM ', 'john.doe@example.com'],
    ['Cloudy.SanFrancisco+shopping@gmail.com', 'cloudysanfrancisco@gmail.com'],
    ['j.o.hn@gmail.com', 'john@gmail.com'],
    ['J.O.H.N+a.b@GoogleMail.com', 'john@googlemail.com'],
    ['user.name+NYC@Example.com', 'user.name+nyc@example.com'], // other domains keep dots and plus
    ['a+news@x.com', 'a+news@x.com'],
    ['+shopping@gmail.com', drop('invalid_email')],
    ['...@gmail.com', drop('invalid_email')],
    ['not an email', drop('invalid_email')],
  ]);
});

describe('hashedPhoneNumber: E.164 with +', () => {
  check((value) => normalizeGooglePhone(value, { defaultCallingCode: '81' }), [
    ['090-1234-5678', '+819012345678'],
    ['+44 (0)20 7946 0958', '+442079460958'],
    ['+1 415 555 1234', '+14155551234'],
    ['+819012345678', '+819012345678'],
    ['4155551234', drop('invalid_phone')],
  ]);
  check((value) => normalizeGooglePhone(value, { country: 'US', defaultCallingCode: '81' }), [
    ['(650)555-1212', '+16505551212'],
    ['4155551234', '+14155551234'],
  ]);
});

describe('hashedFirstName / hashedLastName / hashedStreetAddress: trim, lowercase', () => {
  check(normalizeGoogleAddressText, [
    ['  John ', 'john'],
    ["O'Brien", "o'brien"],
    ['1800  Amphibious   Blvd', '1800 amphibious blvd'],
    ['Mary Jane', 'mary jane'],
  ]);
});

describe('countryCode: ISO 3166-1 alpha-2, uppercase', () => {
  check(normalizeGoogleCountry, [
    ['jp', 'JP'],
    ['Japan', 'JP'],
    ['usa', 'US'],
    ['UK', 'GB'],
    ['Narnia', drop('invalid_country')],
  ]);
});
