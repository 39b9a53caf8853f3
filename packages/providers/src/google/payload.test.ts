import { describe, expect, it } from 'vitest';
import { googlePrepared, sha } from '../test/fixtures.js';
import { buildClickConversion, buildConversionAdjustment, googleExpiresAtMs } from './payload.js';

const context = { customerId: '1234567890', timeZone: 'America/Chicago' };
const eventTime = Date.parse('2026-03-20T19:30:00Z') / 1000;

describe('buildClickConversion', () => {
  it('builds the documented ECL row: click id, hashed email/phone, consent, no userAgent', () => {
    const row = buildClickConversion(googlePrepared({}, { eventTime }), context);
    expect(row).toEqual({
      conversionAction: 'customers/1234567890/conversionActions/987654321',
      conversionDateTime: '2026-03-20 14:30:00-05:00',
      gclid: 'Cj0KCQiA-canary-gclid',
      conversionValue: 125.5,
      currencyCode: 'USD',
      orderId: 'order-1',
      userIdentifiers: [
        { userIdentifierSource: 'FIRST_PARTY', hashedEmail: sha('alexz@example.com') },
        { userIdentifierSource: 'FIRST_PARTY', hashedPhoneNumber: sha('+18005550100') },
      ],
      consent: { adUserData: 'GRANTED' },
    });
    expect(row).not.toHaveProperty('userAgent');
  });

  it.each([
    ['gclid wins over braids', { gclid: 'G', gbraid: 'B', wbraid: 'W' }, { gclid: 'G' }],
    ['gbraid over wbraid (never both)', { gbraid: 'B', wbraid: 'W' }, { gbraid: 'B' }],
    ['wbraid alone', { wbraid: 'W' }, { wbraid: 'W' }],
  ])('%s', (_name, match, expected) => {
    const row = buildClickConversion(googlePrepared({ match }), context);
    expect({ gclid: row.gclid, gbraid: row.gbraid, wbraid: row.wbraid }).toEqual({ gclid: undefined, gbraid: undefined, wbraid: undefined, ...expected });
  });

  it('sends no identifiers when ad_user_data consent is denied, and at most 5 otherwise', () => {
    const denied = buildClickConversion(googlePrepared({ adUserDataConsent: 'DENIED' }), context);
    expect(denied).not.toHaveProperty('userIdentifiers');
    expect(denied.consent).toEqual({ adUserData: 'DENIED' });
    const many = buildClickConversion(googlePrepared({ digests: { hashedEmail: [1, 2, 3, 4].map(String).map(sha), hashedPhoneNumber: [5, 6].map(String).map(sha) } }), context);
    expect(many.userIdentifiers).toHaveLength(5);
  });
});

describe('buildConversionAdjustment', () => {
  it('builds an ENHANCEMENT with order id, address info and user agent', () => {
    const prepared = googlePrepared({
      mode: 'enhancement',
      digests: { hashedEmail: [sha('a@b.co')], hashedFirstName: sha('givenname'), hashedLastName: sha('familyname'), hashedStreetAddress: sha('1800 amphibious blvd') },
      match: { userAgent: 'Mozilla/5.0 canary', city: 'Mountain View', state: 'CA', postalCode: '94045', countryCode: 'US', gclid: 'unused' },
    }, { eventTime });
    expect(buildConversionAdjustment(prepared, context)).toEqual({
      adjustmentType: 'ENHANCEMENT',
      conversionAction: 'customers/1234567890/conversionActions/987654321',
      orderId: 'order-1',
      gclidDateTimePair: { conversionDateTime: '2026-03-20 14:30:00-05:00' },
      userIdentifiers: [
        { userIdentifierSource: 'FIRST_PARTY', hashedEmail: sha('a@b.co') },
        { addressInfo: { hashedFirstName: sha('givenname'), hashedLastName: sha('familyname'), hashedStreetAddress: sha('1800 amphibious blvd'), city: 'Mountain View', state: 'CA', countryCode: 'US', postalCode: '94045' } },
      ],
      userAgent: 'Mozilla/5.0 canary',
    });
  });

  it('leaves out an incomplete address and refuses an enhancement without order id', () => {
    const partial = buildConversionAdjustment(googlePrepared({ mode: 'enhancement', digests: { hashedFirstName: sha('x') }, match: { countryCode: 'US' } }), context);
    expect(partial).not.toHaveProperty('userIdentifiers');
    const prepared = googlePrepared({ mode: 'enhancement' });
    const { orderId: _orderId, ...event } = prepared.event;
    expect(() => buildConversionAdjustment({ ...prepared, event }, context)).toThrow(expect.objectContaining({ reason: 'no_order_id' }) as Error);
  });

  it('expires clicks after 90 days and enhancements after 54', () => {
    expect(googleExpiresAtMs({ mode: 'click', event: { ...googlePrepared().event, eventTime: 0 } })).toBe(90 * 86_400_000 - 60_000);
    expect(googleExpiresAtMs({ mode: 'enhancement', event: { ...googlePrepared().event, eventTime: 0 } })).toBe(54 * 86_400_000 - 60_000);
  });
});
