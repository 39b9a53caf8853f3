/**
 * The platforms' own published vectors, digest for digest. If one of these fails, we no longer match
 * what Meta or Google compute, whatever our other tests say.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash.js';
import { normalizeMetaCountry } from './country.js';
import { normalizeMetaDateOfBirth } from './date-of-birth.js';
import { normalizeGoogleEmail, normalizeMetaEmail } from './email.js';
import { normalizeMetaName } from './names.js';
import { normalizeGooglePhone, normalizeMetaPhone } from './phone.js';
import type { Normalized } from './result.js';
import { prepareRaw } from './text.js';

const NOW_MS = Date.UTC(2026, 9, 1);
const US = { country: 'US', defaultCallingCode: '81' };
const NO_COUNTRY = { defaultCallingCode: '81' };

function digestOf(result: Normalized): string {
  if (!result.ok) throw new Error(`expected a value, got ${result.code}`);
  return sha256Hex(result.value);
}

describe('Meta customer-information vectors (docs/platforms.md#meta-normalization-and-hashing)', () => {
  it.each([
    ['em', 'john_smith@gmail.com', normalizeMetaEmail, 'john_smith@gmail.com',
      '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
    ['ph', '(650)555-1212', (v: string) => normalizeMetaPhone(v, US), '16505551212',
      'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
    ['fn', 'mary', normalizeMetaName, 'mary', '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec'],
    ['fn', '정', normalizeMetaName, '정', '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14'],
    ['ln', 'valéry', normalizeMetaName, 'valéry', '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c'],
    ['db', '2/16/1997', (v: string) => normalizeMetaDateOfBirth(v, NOW_MS), '19970216',
      '01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c'],
    ['country', 'United States', normalizeMetaCountry, 'us',
      '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621'],
  ])('%s %j → %j → %s', (_key, input, normalize, normalized, digest) => {
    const result = normalize(prepareRaw(input));
    expect(result).toEqual({ ok: true, value: normalized });
    expect(digestOf(result)).toBe(digest);
  });

  it('matches the reference digests only after NFC: decomposed input still hashes like the vector', () => {
    const decomposed = 'valéry'.normalize('NFD');
    expect(decomposed).not.toBe('valéry');
    expect(digestOf(normalizeMetaName(prepareRaw(decomposed)))).toBe(
      '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c',
    );
    expect(digestOf(normalizeMetaName(prepareRaw('정'.normalize('NFD'))))).toBe(
      '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14',
    );
  });
});

describe('Google Data Manager formatter vectors (docs/platforms.md#google-normalization-and-hashing)', () => {
  const ALEXZ = '509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a';
  it.each([
    ['alexz@example.com', ALEXZ],
    ['  ALEXZ@example.com   ', ALEXZ],
    ['alexz@EXAMPLE.com', ALEXZ],
    ['Cloudy.SanFrancisco+shopping@gmail.com', sha256Hex('cloudysanfrancisco@gmail.com')],
  ])('hashedEmail %j → %s', (input, digest) => {
    expect(digestOf(normalizeGoogleEmail(prepareRaw(input)))).toBe(digest);
  });

  it('Cloudy.SanFrancisco+shopping@gmail.com normalizes to cloudysanfrancisco@gmail.com', () => {
    expect(normalizeGoogleEmail('Cloudy.SanFrancisco+shopping@gmail.com')).toEqual({
      ok: true,
      value: 'cloudysanfrancisco@gmail.com',
    });
  });

  it.each(['+18005550100', '+1 800-555-0100', '1 800 555 0100'])('hashedPhoneNumber %j → fb4f73a6…', (input) => {
    expect(digestOf(normalizeGooglePhone(prepareRaw(input), NO_COUNTRY))).toBe(
      'fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30',
    );
  });
});
