import { describe, expect, it } from 'vitest';
import { conversionDateTime } from './datetime.js';

describe('conversionDateTime (yyyy-mm-dd hh:mm:ss+|-hh:mm in the account time zone)', () => {
  const at = (iso: string) => Date.parse(iso) / 1000;
  it.each([
    ['2026-03-20T19:30:00Z', 'UTC', '2026-03-20 19:30:00+00:00'],
    ['2026-03-20T19:30:00Z', 'America/Chicago', '2026-03-20 14:30:00-05:00'],
    ['2026-01-20T19:30:00Z', 'America/Chicago', '2026-01-20 13:30:00-06:00'],
    ['2025-11-28T03:20:00Z', 'Asia/Tokyo', '2025-11-28 12:20:00+09:00'],
    ['2025-11-27T20:00:00Z', 'Asia/Tokyo', '2025-11-28 05:00:00+09:00'],
    ['2026-06-01T00:00:00Z', 'Asia/Kolkata', '2026-06-01 05:30:00+05:30'],
    ['2026-06-01T00:00:00Z', 'Asia/Kathmandu', '2026-06-01 05:45:00+05:45'],
    ['2026-06-01T12:00:00Z', 'America/St_Johns', '2026-06-01 09:30:00-02:30'],
    ['2026-12-31T23:59:59Z', 'Pacific/Kiritimati', '2027-01-01 13:59:59+14:00'],
    ['2026-03-08T07:59:59Z', 'America/Los_Angeles', '2026-03-07 23:59:59-08:00'],
    ['2026-03-08T10:00:00Z', 'America/Los_Angeles', '2026-03-08 03:00:00-07:00'],
    ['2026-10-25T00:30:00Z', 'Europe/London', '2026-10-25 01:30:00+01:00'],
    ['2026-10-25T01:30:00Z', 'Europe/London', '2026-10-25 01:30:00+00:00'],
  ])('%s in %s → %s', (iso, zone, expected) => {
    expect(conversionDateTime(at(iso), zone)).toBe(expected);
  });

  it('drops sub-second parts and refuses an unknown zone', () => {
    expect(conversionDateTime(at('2026-03-20T19:30:00Z') + 0.9, 'UTC')).toBe('2026-03-20 19:30:00+00:00');
    expect(() => conversionDateTime(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
