/**
 * The ASCII shortcuts of the text rules give exactly what the general rules give: each function is
 * compared with its general definition (the one it had before the shortcut) on arbitrary text.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeMetaPostalCode } from './postal-code.js';
import { accept, reject } from './result.js';
import { isAscii, lowercaseCollapsedSpaces, lowercaseLettersOnly, prepareRaw, toNfc } from './text.js';

const general = {
  toNfc: (value: string) => value.normalize('NFC'),
  lowercaseLettersOnly: (value: string) => value.toLowerCase().replace(/[^\p{L}\p{M}]/gu, '').normalize('NFC'),
  lowercaseCollapsedSpaces: (value: string) => value.toLowerCase().replace(/\s+/gu, ' ').trim().normalize('NFC'),
  postalCode: (value: string, country?: string) => {
    const compact = (value.split('-', 1)[0] ?? '').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
    if (country === 'us') {
      const zip = /^(\d{5})/.exec(compact)?.[1];
      return zip === undefined ? reject('invalid_zip') : accept(zip);
    }
    return compact.length < 2 ? reject('invalid_zip') : accept(compact);
  },
};

const text = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 20 }),
  fc.constantFrom("O'Brien", 'Mary  Jane', ' 10001-1234 ', 'SW1A 1AA', 'e\u0301', 'İstanbul', 'ＡＢＣ', '\u00a0x\u2003', 'K1A\t0B1', '１２３４５'),
);

describe('ASCII shortcuts of the text rules', () => {
  it('isAscii is true exactly when every code unit is below 128', () => {
    fc.assert(fc.property(text, (value) => {
      let ascii = true;
      for (let index = 0; index < value.length; index += 1) if (value.charCodeAt(index) >= 128) ascii = false;
      expect(isAscii(value)).toBe(ascii);
    }));
  });

  it.each([
    ['toNfc', toNfc, general.toNfc],
    ['prepareRaw', prepareRaw, (value: string) => general.toNfc(value).trim()],
    ['lowercaseLettersOnly', lowercaseLettersOnly, general.lowercaseLettersOnly],
    ['lowercaseCollapsedSpaces', lowercaseCollapsedSpaces, general.lowercaseCollapsedSpaces],
  ] as const)('%s equals its general definition', (_name, fast, reference) => {
    fc.assert(fc.property(text, (value) => {
      expect(fast(value)).toBe(reference(value));
    }), { numRuns: 2000 });
  });

  it('the Meta postal-code rule equals its general definition, in and outside the US', () => {
    fc.assert(fc.property(text, fc.constantFrom(undefined, 'us', 'jp'), (value, country) => {
      expect(normalizeMetaPostalCode(value, country)).toEqual(general.postalCode(value, country));
    }), { numRuns: 2000 });
  });
});
