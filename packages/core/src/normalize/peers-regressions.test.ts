/**
 * Bugs found in peer relays (docs/platforms.md#normalization-mistakes-seen-in-other-relays), kept as
 * regressions: each row is an input that a peer gets wrong, with what the platform expects.
 */
import { describe, expect, it } from 'vitest';
import { normalizeMetaCountry } from './country.js';
import { normalizeGoogleEmail } from './email.js';
import { normalizeGooglePhone, normalizeMetaPhone } from './phone.js';
import { prepareRaw } from './text.js';

const JAPAN_DEFAULT = { defaultCallingCode: '81' };

describe('peer regressions', () => {
  it.each([
    ['+1 415 555 1234', '14155551234'],
    ['+1  415-555-1234', '14155551234'],
    ['+1 (415) 555 1234', '14155551234'],
  ])('Meta sGTM tag removes only the first of each separator: %j → %j', (input, expected) => {
    expect(normalizeMetaPhone(prepareRaw(input), JAPAN_DEFAULT)).toEqual({ ok: true, value: expected });
  });

  it('Segment removes only the first dot of a Gmail address: j.o.hn@gmail.com → john@gmail.com', () => {
    expect(normalizeGoogleEmail('j.o.hn@gmail.com')).toEqual({ ok: true, value: 'john@gmail.com' });
  });

  it.each([
    // RudderStack prepends "+" to a national number: "+4155551234" is not E.164
    ['4155551234', { country: 'US', defaultCallingCode: '81' }, { ok: true, value: '+14155551234' }],
    ['4155551234', { defaultCallingCode: '1' }, { ok: true, value: '+14155551234' }],
    // Without a US hint the number is not valid in Japan: dropped, never hashed as "+4155551234"
    ['4155551234', JAPAN_DEFAULT, { ok: false, code: 'invalid_phone' }],
    // Meta's SDKs leave out the country code of national numbers
    ['090-1234-5678', JAPAN_DEFAULT, { ok: true, value: '+819012345678' }],
    ['020 7946 0958', { country: 'GB', defaultCallingCode: '81' }, { ok: true, value: '+442079460958' }],
  ] as const)('national number %j with %j', (input, region, expected) => {
    expect(normalizeGooglePhone(input, region)).toEqual(expected);
  });

  it.each([
    ['+44 (0)20 7946 0958', '442079460958'],
    ['+81 (0)90-1234-5678', '819012345678'],
  ])('the trunk zero in "(0)" is dropped, not kept (Meta SDKs give 4402…): %j', (input, expected) => {
    expect(normalizeMetaPhone(input, JAPAN_DEFAULT)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['UK', 'gb'],
    ['usa', 'us'],
  ])('country %j is an alias, not a code: → %j (the param builder emits "uk"; the Meta tag hashes "usa")', (input, code) => {
    expect(normalizeMetaCountry(input)).toEqual({ ok: true, value: code });
  });
});
