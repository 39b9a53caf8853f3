/** Whole-customer normalization: arrays, warnings by path, duplicates, pre-hashed values, the seed item. */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash.js';
import { hashGoogleIdentifiers } from './google.js';
import { hashMetaUserData } from './meta.js';

const CONTEXT = { defaultCallingCode: '81', nowMs: Date.UTC(2026, 9, 1) };
const h = sha256Hex;

/** A customer with every field of the contract set (docs/architecture.md#contract). */
const SEED = {
  email: ' John.Doe@Example.COM ',
  phone: '090-1234-5678',
  firstName: 'John',
  lastName: 'Doe',
  gender: 'male',
  dateOfBirth: '1990/01/02',
  city: 'Tokyo',
  state: 'Tokyo',
  zip: '100-0001',
  country: 'JP',
  streetAddress: '1-1 Chiyoda',
  externalId: 'user_42',
};

describe('hashMetaUserData', () => {
  it('hashes the seed customer by Meta rules', () => {
    expect(hashMetaUserData(SEED, CONTEXT)).toEqual({
      userData: {
        em: [h('john.doe@example.com')],
        ph: [h('819012345678')],
        fn: [h('john')],
        ln: [h('doe')],
        ge: [h('m')],
        db: [h('19900102')],
        ct: [h('tokyo')],
        st: [h('tokyo')],
        zp: [h('100')],
        country: [h('jp')],
        external_id: [h('user_42')],
      },
      warnings: [],
    });
  });

  it('normalizes arrays element by element, drops empty and invalid values with their path, removes duplicates', () => {
    const result = hashMetaUserData(
      {
        email: ['a@example.com', ' A@EXAMPLE.COM', 'broken', '', 'b@example.com'],
        phone: ['090-1234-5678', '+81 90 1234 5678', '12'],
        gender: 'unknown',
      },
      CONTEXT,
    );
    expect(result.userData).toEqual({
      em: [h('a@example.com'), h('b@example.com')],
      ph: [h('819012345678')],
    });
    expect(result.warnings).toEqual([
      { field: 'customer.email[2]', code: 'invalid_email' },
      { field: 'customer.email[3]', code: 'empty_value' },
      { field: 'customer.phone[2]', code: 'invalid_phone' },
      { field: 'customer.gender', code: 'invalid_gender' },
    ]);
  });

  it('passes a 64-hex digest through lowercased instead of hashing it again', () => {
    const digest = h('john.doe@example.com');
    const result = hashMetaUserData({ email: [digest.toUpperCase(), 'John.Doe@example.com'] }, CONTEXT);
    expect(result.userData.em).toEqual([digest]);
  });

  it("uses the customer's country for the phone region, the US ZIP rule and state names", () => {
    const result = hashMetaUserData(
      { phone: '(650)555-1212', zip: '94105-1234', state: 'California', country: ['Narnia', 'United States'] },
      CONTEXT,
    );
    expect(result.userData).toEqual({
      ph: [h('16505551212')],
      zp: [h('94105')],
      st: [h('ca')],
      country: [h('us')],
    });
    expect(result.warnings).toEqual([{ field: 'customer.country[0]', code: 'invalid_country' }]);
  });

  it('returns nothing for an empty customer', () => {
    expect(hashMetaUserData({}, CONTEXT)).toEqual({ userData: {}, warnings: [] });
  });
});

describe('hashGoogleIdentifiers', () => {
  it('hashes the seed customer by Google rules, with a complete address', () => {
    expect(hashGoogleIdentifiers(SEED, CONTEXT)).toEqual({
      hashedEmail: [h('john.doe@example.com')],
      hashedPhoneNumber: [h('+819012345678')],
      address: {
        hashed: { hashedFirstName: h('john'), hashedLastName: h('doe'), hashedStreetAddress: h('1-1 chiyoda') },
        plain: { city: 'Tokyo', state: 'Tokyo', postalCode: '100-0001', countryCode: 'JP' },
      },
      dataManagerNames: { givenName: h('john'), familyName: h('doe') },
      warnings: [],
    });
  });

  it('applies the Gmail rule, which Meta does not', () => {
    const customer = { email: 'J.O.Hn+promo@gmail.com' };
    expect(hashGoogleIdentifiers(customer, CONTEXT).hashedEmail).toEqual([h('john@gmail.com')]);
    expect(hashMetaUserData(customer, CONTEXT).userData.em).toEqual([h('j.o.hn+promo@gmail.com')]);
  });

  it.each([
    ['first name', { lastName: 'Doe', zip: '100-0001', country: 'JP' }],
    ['last name', { firstName: 'John', zip: '100-0001', country: 'JP' }],
    ['postal code', { firstName: 'John', lastName: 'Doe', country: 'JP' }],
    ['country', { firstName: 'John', lastName: 'Doe', zip: '100-0001' }],
    ['a valid country', { firstName: 'John', lastName: 'Doe', zip: '100-0001', country: 'Narnia' }],
  ])('leaves the address out when it lacks %s', (_missing, customer) => {
    expect(hashGoogleIdentifiers(customer, CONTEXT).address).toBeUndefined();
  });

  it('keeps only the address parts that are present beyond the required four', () => {
    expect(
      hashGoogleIdentifiers({ firstName: ['', 'Ann'], lastName: 'Lee', zip: ' 94105 ', country: 'us' }, CONTEXT)
        .address,
    ).toEqual({
      hashed: { hashedFirstName: h('ann'), hashedLastName: h('lee') },
      plain: { postalCode: '94105', countryCode: 'US' },
    });
  });
});
