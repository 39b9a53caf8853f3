import type { DataManagerDigests, GoogleDigests, MetaUserDigests } from '@capconnect/core';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DATA_MANAGER_DIGEST_FIELDS } from './dm-digests.js';
import { GOOGLE_ADS_DIGEST_FIELDS, META_DIGEST_FIELDS, packDigests, packedDigestsSchema, unpackDigests, type DigestField } from './packed-digests.js';
import { SEALED_FIELD_ALIASES, matchFieldsOf, sealedText } from './sealed-fields.js';

const layouts: readonly (readonly DigestField<string>[])[] = [META_DIGEST_FIELDS, GOOGLE_ADS_DIGEST_FIELDS, DATA_MANAGER_DIGEST_FIELDS];
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));

/** Random digests for a layout: each field absent, or 1–10 digests (one for a single-digest field). */
function digestsFor(fields: readonly DigestField<string>[]): fc.Arbitrary<Record<string, string | string[]>> {
  const value = (kind: 'list' | 'one'): fc.Arbitrary<string | string[]> => (kind === 'one' ? digest : fc.array(digest, { minLength: 1, maxLength: 10 }));
  const entries = fields.map(([name, kind]) => fc.option(value(kind), { nil: undefined }).map((each) => [name, each] as const));
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter(([, value]) => value !== undefined)) as Record<string, string | string[]>);
}

describe('packed digests', () => {
  it('every layout covers every digest field of its prepared event (a new field must be given a place)', () => {
    expectTypeOf<Exclude<keyof MetaUserDigests, (typeof META_DIGEST_FIELDS)[number][0]>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<keyof GoogleDigests, (typeof GOOGLE_ADS_DIGEST_FIELDS)[number][0]>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<keyof DataManagerDigests, (typeof DATA_MANAGER_DIGEST_FIELDS)[number][0]>>().toEqualTypeOf<never>();
    for (const fields of layouts) expect(new Set(fields.map(([name]) => name)).size).toBe(fields.length);
  });

  it('round-trip any digests exactly, in the layout order, and always match their schema', () => {
    for (const fields of layouts) {
      const schema = packedDigestsSchema(fields);
      fc.assert(fc.property(digestsFor(fields), (digests) => {
        const packed = packDigests(fields, digests);
        if (Object.keys(digests).length === 0) {
          expect(packed).toBeUndefined();
          return;
        }
        expect(schema.safeParse(packed).success).toBe(true);
        const unpacked = unpackDigests(fields, packed ?? '');
        expect(unpacked).toStrictEqual(digests);
        expect(Object.keys(unpacked ?? {})).toEqual(fields.map(([name]) => name).filter((name) => name in digests));
        // 43 base64url characters per digest, plus the counts.
        const total = Object.values(digests).flat().length;
        expect(packed?.length).toBe((packed ?? '').indexOf('.') + 1 + Math.ceil((total * 32 * 4) / 3));
      }), { numRuns: 300 });
    }
  });

  it('refuses to pack a digest that is not 64 hex characters, instead of losing it', () => {
    expect(() => packDigests(META_DIGEST_FIELDS, { em: ['ab'.repeat(31)] })).toThrow(TypeError);
    expect(() => packDigests(META_DIGEST_FIELDS, { em: [`${'ab'.repeat(31)}zz`] })).toThrow(TypeError);
    expect(() => packDigests(META_DIGEST_FIELDS, { em: ['ab'.repeat(33)] })).toThrow(TypeError);
    // Two wrong lengths that add up to two right ones must not shift the digests.
    expect(() => packDigests(META_DIGEST_FIELDS, { em: ['ab'.repeat(31), 'ab'.repeat(33)] })).toThrow(TypeError);
    expect(() => packDigests(META_DIGEST_FIELDS, { em: Array.from({ length: 11 }, () => 'ab'.repeat(32)) })).toThrow(RangeError);
  });

  it('unpacks nothing whose counts and bytes disagree', () => {
    const packed = packDigests(DATA_MANAGER_DIGEST_FIELDS, { emailAddress: ['0'.repeat(64)], givenName: '1'.repeat(64) }) ?? '';
    expect(packed.startsWith('101.')).toBe(true);
    const bytes = packed.slice(4);
    for (const broken of [`1.${bytes}`, `102.${bytes}`, `10101.${bytes}`, `101.${bytes}A`, `101.${bytes.slice(1)}`, `.${bytes}`, bytes]) {
      expect(unpackDigests(DATA_MANAGER_DIGEST_FIELDS, broken)).toBeUndefined();
    }
    expect(unpackDigests(DATA_MANAGER_DIGEST_FIELDS, packed)).toEqual({ emailAddress: ['0'.repeat(64)], givenName: '1'.repeat(64) });
  });
});

describe('sealed field aliases', () => {
  // That they cover every match field is checked by type (`satisfies Record<keyof …MatchFields, string>`).
  it('are one letter each and unique per map, and no field name is one letter', () => {
    for (const aliases of Object.values(SEALED_FIELD_ALIASES)) {
      const letters = Object.values(aliases);
      expect(letters.every((letter) => /^[a-z]$/.test(letter))).toBe(true);
      expect(new Set(letters).size).toBe(letters.length);
      expect(Object.keys(aliases).every((name) => name.length > 1)).toBe(true);
    }
  });

  it('round-trip match fields, values untouched and order kept', () => {
    const match = { clientIpAddress: '203.0.113.7', customData: { a: [1, { b: null }] }, fbc: 'fb.1.2.x', clientUserAgent: 'UA "quoted"' };
    const text = sealedText('meta', match);
    expect(text).toBe('{"i":"203.0.113.7","d":{"a":[1,{"b":null}]},"c":"fb.1.2.x","u":"UA \\"quoted\\""}');
    expect(JSON.stringify(matchFieldsOf('meta', JSON.parse(text) as Record<string, unknown>))).toBe(JSON.stringify(match));
  });
});
