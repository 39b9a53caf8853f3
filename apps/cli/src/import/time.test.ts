import { describe, expect, it } from 'vitest';
import { isKnownTimeZone, parseConversionTime } from './time.js';

const UTC = { timeZone: 'UTC', dayFirst: false };
const at = (iso: string) => Date.parse(iso) / 1000;

describe('parseConversionTime', () => {
  it.each([
    ['1764300000', 1764300000],
    ['1764300000123', 1764300000],
    ['2026-11-28', at('2026-11-28T00:00:00Z')],
    ['2026-11-28 14:05', at('2026-11-28T14:05:00Z')],
    ['2026-11-28T14:05:09.123Z', at('2026-11-28T14:05:09Z')],
    ['2026-11-28 14:05:09+09:00', at('2026-11-28T05:05:09Z')],
    ['2026-11-28 14:05:09 -0500', at('2026-11-28T19:05:09Z')],
    ['2026/11/28 2:05:09 PM', at('2026-11-28T14:05:09Z')],
    ['11/28/2026 12:30 AM', at('2026-11-28T00:30:00Z')],
    ['11/28/2026 14:05:09 UTC', at('2026-11-28T14:05:09Z')],
  ])('reads %s', (text, expected) => {
    expect(parseConversionTime(text, UTC)).toBe(expected);
  });

  it('reads values without an offset in the given time zone, across a DST change', () => {
    expect(parseConversionTime('2026-11-28 09:00', { timeZone: 'Asia/Tokyo', dayFirst: false })).toBe(at('2026-11-28T00:00:00Z'));
    expect(parseConversionTime('2026-07-01 12:00', { timeZone: 'America/New_York', dayFirst: false })).toBe(at('2026-07-01T16:00:00Z'));
    expect(parseConversionTime('2026-12-01 12:00', { timeZone: 'America/New_York', dayFirst: false })).toBe(at('2026-12-01T17:00:00Z'));
  });

  it('reads day-first dates only when asked', () => {
    expect(parseConversionTime('03/04/2026', UTC)).toBe(at('2026-03-04T00:00:00Z'));
    expect(parseConversionTime('03/04/2026', { ...UTC, dayFirst: true })).toBe(at('2026-04-03T00:00:00Z'));
    expect(parseConversionTime('28.11.2026 10:00', { ...UTC, dayFirst: true })).toBe(at('2026-11-28T10:00:00Z'));
  });

  it.each(['', 'yesterday', '2026-02-30', '13/28/2026', '2026-11-28 25:00', '2026-11-28 13:00 PM', '28/11/26', '2026-11-28 10:00 +15:00'])('refuses %j', (text) => {
    expect(parseConversionTime(text, UTC)).toBeUndefined();
  });

  it('knows IANA zones and refuses others', () => {
    expect(isKnownTimeZone('Asia/Tokyo')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });
});
