import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDataManagerEvent, buildIngestEventsRequest, prevalidateDataManagerEvent, rfc3339, userIdentifiers } from './build.js';
import { ALEX, DANA_EMAIL, PHONE_18005550100, SMITH, dmInput } from '../test/data-manager-fixtures.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const NOW = Date.now();

describe('Data Manager event builder', () => {
  it('matches the official hashing vectors', () => {
    expect(sha256('dana@example.com')).toBe(DANA_EMAIL);
    expect(sha256('+18005550100')).toBe(PHONE_18005550100);
    expect(sha256('alex')).toBe(ALEX);
    expect(sha256('smith')).toBe(SMITH);
  });

  it('builds the documented offline click event', () => {
    const built = buildDataManagerEvent(dmInput({ eventTime: Date.UTC(2026, 10, 29, 13, 3) / 1000 }));
    expect(built).toEqual({
      conversionActionId: '987654321',
      event: {
        eventTimestamp: '2026-11-29T13:03:00Z', transactionId: 'ord-1', eventSource: 'WEB', conversionValue: 49.9, currency: 'EUR',
        consent: { adUserData: 'CONSENT_GRANTED' },
        userData: { userIdentifiers: [{ emailAddress: DANA_EMAIL }, { phoneNumber: PHONE_18005550100 }] },
        adIdentifiers: { gclid: 'EAIaIQobChMI-example' },
      },
    });
  });

  it('adds a complete address only, and the landing-page device only without a consent denial', () => {
    const input = dmInput({ digests: { givenName: ALEX, familyName: SMITH }, plain: { regionCode: 'US', postalCode: '94045', userAgent: 'UA', ipAddress: '203.0.113.9' } });
    expect(buildDataManagerEvent(input).event).toMatchObject({
      userData: { userIdentifiers: [{ address: { givenName: ALEX, familyName: SMITH, regionCode: 'US', postalCode: '94045' } }] },
      adIdentifiers: { landingPageDeviceInfo: { userAgent: 'UA', ipAddress: '203.0.113.9' } },
    });
    expect(buildDataManagerEvent(dmInput({ digests: { givenName: ALEX }, plain: { regionCode: 'US', postalCode: '94045' } })).event.userData).toBeUndefined();
    const denied = buildDataManagerEvent({ ...input, consent: { adUserData: 'DENIED' }, plain: { ...input.plain, gclid: 'g' } }).event;
    expect(denied.userData).toBeUndefined();
    expect(denied.adIdentifiers).toEqual({ gclid: 'g' });
    expect(denied.consent).toEqual({ adUserData: 'CONSENT_DENIED' });
  });

  it('keeps at most 10 identifiers, the first of each kind first', () => {
    const emails = Array.from({ length: 12 }, (_, i) => sha256(`u${i}@x.co`));
    const { kept, dropped } = userIdentifiers(dmInput({ digests: { emailAddress: emails, phoneNumber: [PHONE_18005550100] } }));
    expect(kept).toHaveLength(10);
    expect(dropped).toBe(3);
    expect(kept[1]).toEqual({ phoneNumber: PHONE_18005550100 });
  });

  it('writes RFC 3339 UTC without fractions', () => {
    expect(rfc3339(1_764_421_380.7)).toBe('2025-11-29T13:03:00Z');
  });
});

describe('prevalidateDataManagerEvent', () => {
  const cases: [string, Parameters<typeof dmInput>[0], string | undefined][] = [
    ['a valid click event', {}, undefined],
    ['a click event without event source', { eventSource: undefined }, 'dm_no_event_source'],
    ['a click event without any identifier', { digests: {}, plain: {} }, 'dm_no_identifiers'],
    ['a click event with only a landing-page IP', { digests: {}, plain: { ipAddress: '203.0.113.9' } }, undefined],
    ['a leads event with only a gclid', { mode: 'leads', digests: {} }, 'dm_no_user_data'],
    ['a leads event with identifiers but consent denied', { mode: 'leads', consent: { adUserData: 'DENIED' } }, 'dm_no_user_data'],
    ['a web event without transaction id', { mode: 'web', transactionId: undefined }, 'dm_no_transaction_id'],
    ['a web event without event source', { mode: 'web', eventSource: undefined }, undefined],
    ['a lowercase currency', { currency: 'eur' }, 'dm_invalid_currency'],
    ['a NaN value', { value: Number.NaN }, 'dm_invalid_value'],
    ['a plaintext email', { digests: { emailAddress: ['dana@example.com'] } }, 'dm_invalid_email_digest'],
    ['an uppercase phone digest', { digests: { phoneNumber: [PHONE_18005550100.toUpperCase()] } }, 'dm_invalid_phone_digest'],
    ['a lowercase region', { digests: { givenName: ALEX, familyName: SMITH }, plain: { gclid: 'g', regionCode: 'us', postalCode: '94045' } }, 'dm_invalid_region_code'],
    ['a hashed postal code', { digests: { givenName: ALEX, familyName: SMITH }, plain: { gclid: 'g', regionCode: 'US', postalCode: SMITH } }, 'dm_invalid_postal_code'],
    ['an event time in milliseconds', { eventTime: NOW }, 'dm_event_time_in_future'],
    ['gbraid with wbraid', { plain: { gbraid: 'a', wbraid: 'b' } }, 'dm_gbraid_and_wbraid'],
    ['a non-numeric action', { conversionActionId: 'Purchase' }, 'dm_invalid_conversion_action_id'],
  ];
  it.each(cases)('%s → %s', (_name, overrides, reason) => {
    const input = dmInput(overrides);
    expect(prevalidateDataManagerEvent(input, buildDataManagerEvent(input), NOW)?.reason).toBe(reason);
  });
});

describe('buildIngestEventsRequest', () => {
  const config = { operatingAccountId: '123-456-7890', loginAccountId: '9876543210' };
  it('sends one action without references, HEX encoding and validateOnly when asked', () => {
    const body = buildIngestEventsRequest([buildDataManagerEvent(dmInput())], config, true);
    expect(body.destinations).toEqual([{
      loginAccount: { accountType: 'GOOGLE_ADS', accountId: '9876543210' }, operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, productDestinationId: '987654321',
    }]);
    expect(body.events[0]).not.toHaveProperty('destinationReferences');
    expect(body).toMatchObject({ encoding: 'HEX', validateOnly: true });
  });
  it('gives each action its own destination with a reference, and each event its reference', () => {
    const body = buildIngestEventsRequest([buildDataManagerEvent(dmInput()), buildDataManagerEvent(dmInput({ conversionActionId: '987654322' }))], { operatingAccountId: '1234567890' }, false);
    expect(body.destinations.map((d) => [d.reference, d.productDestinationId])).toEqual([['987654321', '987654321'], ['987654322', '987654322']]);
    expect(body.events.map((e) => e.destinationReferences)).toEqual([['987654321'], ['987654322']]);
    expect(body).not.toHaveProperty('validateOnly');
  });
});
