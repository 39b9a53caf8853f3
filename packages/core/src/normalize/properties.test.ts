/**
 * Properties every normalizer must have, on arbitrary Unicode (lone surrogates included):
 * it never throws, it is idempotent on its own output, and nothing hashes to the empty-string digest.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_STRING_DIGEST } from '../hash.js';
import { normalizeGoogleCountry, normalizeMetaCountry } from './country.js';
import { normalizeMetaDateOfBirth } from './date-of-birth.js';
import { normalizeGoogleEmail, normalizeMetaEmail } from './email.js';
import { normalizeMetaGender } from './gender.js';
import { hashGoogleIdentifiers } from './google.js';
import { hashMetaUserData } from './meta.js';
import { normalizeGoogleAddressText, normalizeMetaCity, normalizeMetaExternalId, normalizeMetaName } from './names.js';
import { normalizeGooglePhone, normalizeMetaPhone } from './phone.js';
import { normalizeMetaPostalCode } from './postal-code.js';
import type { Normalizer } from './result.js';
import { normalizeMetaState } from './state.js';
import { prepareRaw } from './text.js';

const NOW_MS = Date.UTC(2026, 9, 1);
const CONTEXT = { defaultCallingCode: '81', nowMs: NOW_MS };

/** Any UTF-16 code unit, so lone surrogates appear too (invalid Unicode that JSON.parse still produces). */
const codeUnit = fc.nat(0xffff).map((code) => String.fromCharCode(code));
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: codeUnit, maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
);
const phoneLike = fc.oneof(
  fc.stringMatching(/^\+?[0-9 ()\-.]{0,20}$/),
  fc.constantFrom('090-1234-5678', '+44 (0)20 7946 0958', '(650)555-1212', '+1 415 555 1234', '16505551212'),
);
const emailLike = fc.oneof(
  fc.emailAddress(),
  fc.tuple(fc.stringMatching(/^[A-Za-z.+]{1,12}$/), fc.constantFrom('gmail.com', 'GoogleMail.com', 'example.com'))
    .map(([local, domain]) => `${local}@${domain}`),
);
const dateLike = fc.oneof(
  fc.date({ min: new Date('1890-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.stringMatching(/^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$/),
);
const countryLike = fc.oneof(fc.constantFrom('JP', 'usa', 'UK', 'Japan', 'Deutschland', 'XX', 'jpn'), fc.stringMatching(/^[A-Za-z]{2,3}$/));

const RULES: readonly (readonly [string, Normalizer, fc.Arbitrary<string>])[] = [
  ['meta em', normalizeMetaEmail, emailLike],
  ['google hashedEmail', normalizeGoogleEmail, emailLike],
  ['meta ph (JP default)', (v) => normalizeMetaPhone(v, { defaultCallingCode: '81' }), phoneLike],
  ['meta ph (US)', (v) => normalizeMetaPhone(v, { country: 'US', defaultCallingCode: '81' }), phoneLike],
  ['google phone (JP default)', (v) => normalizeGooglePhone(v, { defaultCallingCode: '81' }), phoneLike],
  ['google phone (GB)', (v) => normalizeGooglePhone(v, { country: 'GB', defaultCallingCode: '1' }), phoneLike],
  ['meta fn/ln', normalizeMetaName, anyText],
  ['meta ct', normalizeMetaCity, anyText],
  ['meta st', (v) => normalizeMetaState(v), anyText],
  ['meta st (us)', (v) => normalizeMetaState(v, 'us'), anyText],
  ['meta zp', (v) => normalizeMetaPostalCode(v), anyText],
  ['meta zp (us)', (v) => normalizeMetaPostalCode(v, 'us'), fc.oneof(anyText, fc.stringMatching(/^\d{5}-?\d{0,4}$/))],
  ['meta ge', normalizeMetaGender, fc.oneof(anyText, fc.constantFrom('Male', 'F', 'female'))],
  ['meta db', (v) => normalizeMetaDateOfBirth(v, NOW_MS), dateLike],
  ['meta country', normalizeMetaCountry, countryLike],
  ['google countryCode', normalizeGoogleCountry, countryLike],
  ['meta external_id', normalizeMetaExternalId, anyText],
  ['google address text', normalizeGoogleAddressText, anyText],
];

describe.each(RULES)('%s', (_name, normalize, shaped) => {
  const input = fc.oneof(anyText, shaped);

  it('never throws and never accepts an empty value', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const prepared = prepareRaw(raw);
        if (prepared.length === 0) return;
        const result = normalize(prepared);
        if (result.ok) expect(result.value.length).toBeGreaterThan(0);
      }),
    );
  });

  it('is idempotent: normalizing its own output changes nothing', () => {
    fc.assert(
      fc.property(input, (raw) => {
        const prepared = prepareRaw(raw);
        if (prepared.length === 0) return;
        const first = normalize(prepared);
        if (!first.ok) return;
        expect(normalize(prepareRaw(first.value))).toEqual(first);
      }),
    );
  });
});

describe('whole-customer normalization', () => {
  const customerField = fc.oneof(anyText, fc.array(anyText, { maxLength: 4 }));
  const customer = fc.record(
    {
      email: fc.oneof(customerField, emailLike),
      phone: fc.oneof(customerField, phoneLike),
      firstName: customerField,
      lastName: customerField,
      gender: customerField,
      dateOfBirth: fc.oneof(customerField, dateLike),
      city: customerField,
      state: customerField,
      zip: customerField,
      country: fc.oneof(customerField, countryLike),
      streetAddress: customerField,
      externalId: customerField,
    },
    { requiredKeys: [] },
  );

  it('never throws and never emits the empty-string digest', () => {
    fc.assert(
      fc.property(customer, (raw) => {
        const meta = hashMetaUserData(raw, CONTEXT);
        const google = hashGoogleIdentifiers(raw, CONTEXT);
        const hashedAddress: (string | undefined)[] = Object.values(google.address?.hashed ?? {});
        const metaDigests: string[] = Object.values(meta.userData).flatMap((list: string[] | undefined) => list ?? []);
        const digests = [
          ...metaDigests,
          ...google.hashedEmail,
          ...google.hashedPhoneNumber,
          ...hashedAddress,
        ];
        for (const digest of digests) {
          expect(digest).toMatch(/^[0-9a-f]{64}$/);
          expect(digest).not.toBe(EMPTY_STRING_DIGEST);
        }
      }),
      { numRuns: 300 },
    );
  });
});
