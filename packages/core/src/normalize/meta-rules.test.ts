/** Meta `user_data` normalization, field by field (docs/architecture.md#normalization-and-hashing). */
import { describe, expect, it } from 'vitest';
import { normalizeMetaCountry } from './country.js';
import { normalizeMetaDateOfBirth } from './date-of-birth.js';
import { normalizeMetaEmail } from './email.js';
import { normalizeMetaGender } from './gender.js';
import { normalizeMetaCity, normalizeMetaExternalId, normalizeMetaName } from './names.js';
import { normalizeMetaPhone } from './phone.js';
import { normalizeMetaPostalCode } from './postal-code.js';
import type { Normalized } from './result.js';
import { normalizeMetaState } from './state.js';
import { prepareRaw } from './text.js';

const NOW_MS = Date.UTC(2026, 9, 1);

type Row = readonly [input: string, expected: string | Normalized];

/** A row expects either the normalized string or a drop with its warning code. */
function check(normalize: (value: string) => Normalized, rows: readonly Row[]): void {
  it.each(rows)('%j → %j', (input, expected) => {
    const want = typeof expected === 'string' ? { ok: true, value: expected } : expected;
    expect(normalize(prepareRaw(input))).toEqual(want);
  });
}

const drop = (code: Extract<Normalized, { ok: false }>['code']): Normalized => ({ ok: false, code });

describe('em: trim, lowercase, must look like an email', () => {
  check(normalizeMetaEmail, [
    [' John.Doe@Example.COM ', 'john.doe@example.com'],
    ['john_smith@gmail.com', 'john_smith@gmail.com'],
    ['j.o.hn+tag@gmail.com', 'j.o.hn+tag@gmail.com'], // no Gmail rule for Meta
    ['tést@gmail.com', 'tést@gmail.com'], // Meta's legacy SDK threw on this (https://github.com/facebook/facebook-nodejs-business-sdk/issues/302)
    ['1234', drop('invalid_email')],
    ['john@', drop('invalid_email')],
    ['@example.com', drop('invalid_email')],
    ['john doe@example.com', drop('invalid_email')],
    ['john@example', drop('invalid_email')],
    ['john@@example.com', drop('invalid_email')],
    ['john@example.c', drop('invalid_email')],
  ]);
});

describe('ph: E.164 digits without +', () => {
  const japan = { defaultCallingCode: '81' };
  describe('with the default calling code 81 and no customer country', () => {
    check((value) => normalizeMetaPhone(value, japan), [
      ['090-1234-5678', '819012345678'],
      ['09012345678', '819012345678'],
      ['+81 90-1234-5678', '819012345678'],
      ['+81 (0)90-1234-5678', '819012345678'], // trunk 0 in parentheses is dropped (docs/decisions.md#phone-numbers-parsed-with-libphonenumber)
      ['819012345678', '819012345678'], // already normalized: idempotent
      ['+44 (0)20 7946 0958', '442079460958'],
      ['+1 415 555 1234', '14155551234'],
      ['16505551212', '16505551212'], // not valid in Japan, valid with its own country code
      ['０９０−１２３４−５６７８', '819012345678'], // full-width digits from Japanese forms
      ['4155551234', drop('invalid_phone')], // a US national number is not a Japanese one
      ['1-800-FLOWERS', drop('invalid_phone')],
      ['12', drop('invalid_phone')],
      ['not a phone', drop('invalid_phone')],
    ]);
  });
  describe("with the customer's country", () => {
    check((value) => normalizeMetaPhone(value, { country: 'US', defaultCallingCode: '81' }), [
      ['(650)555-1212', '16505551212'],
      ['4155551234', '14155551234'],
      ['+1 650 555 1212 ext. 123', '16505551212'], // the extension is not part of the number
      ['090-1234-5678', drop('invalid_phone')],
    ]);
    check((value) => normalizeMetaPhone(value, { country: 'gb', defaultCallingCode: '81' }), [
      ['020 7946 0958', '442079460958'],
    ]);
  });
  describe('with the default calling code 1', () => {
    check((value) => normalizeMetaPhone(value, { defaultCallingCode: '1' }), [
      ['(650) 555-1212', '16505551212'],
      ['090-1234-5678', drop('invalid_phone')],
    ]);
  });
  describe('with an unknown default calling code, only international numbers parse', () => {
    check((value) => normalizeMetaPhone(value, { defaultCallingCode: '999' }), [
      ['+81 90 1234 5678', '819012345678'],
      ['090-1234-5678', drop('invalid_phone')],
    ]);
  });
});

describe('fn / ln: lowercase, no punctuation or spaces, UTF-8 letters kept', () => {
  check(normalizeMetaName, [
    ['John', 'john'],
    ["O'Brien", 'obrien'],
    ['Mary Jane', 'maryjane'],
    ['Mary-Jane  O’Connor', 'maryjaneoconnor'],
    ['Valéry', 'valéry'],
    ['정', '정'],
    ['José María González', 'josémaríagonzález'],
    ['Владимир Петров', 'владимирпетров'],
    ['山田　太郎', '山田太郎'],
    ['!!!', drop('empty_value')],
  ]);
});

describe('ge: f or m', () => {
  check(normalizeMetaGender, [
    ['Male', 'm'],
    ['male', 'm'],
    ['M', 'm'],
    ['female', 'f'],
    ['F', 'f'],
    ['F.', 'f'],
    ['FEMALE', 'f'],
    ['other', drop('invalid_gender')],
    ['x', drop('invalid_gender')],
  ]);
});

describe('db: YYYYMMDD from common formats, a real date, year 1900..now', () => {
  check((value) => normalizeMetaDateOfBirth(value, NOW_MS), [
    ['1990/01/02', '19900102'],
    ['1990-01-02', '19900102'],
    ['1990-1-2', '19900102'],
    ['1990-01-02T00:00:00Z', '19900102'],
    ['2/16/1997', '19970216'],
    ['02/16/1997', '19970216'],
    ['16.02.1997', '19970216'],
    ['19970216', '19970216'],
    ['2000-02-29', '20000229'],
    ['1900-01-01', '19000101'],
    ['2026-01-01', '20260101'],
    ['1999-02-29', drop('invalid_date_of_birth')],
    ['1990-13-01', drop('invalid_date_of_birth')],
    ['1990-04-31', drop('invalid_date_of_birth')],
    ['16/02/1997', drop('invalid_date_of_birth')], // slashes with the year last are month-first
    ['1899-12-31', drop('invalid_date_of_birth')],
    ['2027-01-01', drop('invalid_date_of_birth')],
    ['yesterday', drop('invalid_date_of_birth')],
  ]);
});

describe('ct: lowercase, no punctuation or spaces, UTF-8 kept', () => {
  check(normalizeMetaCity, [
    ['New York', 'newyork'],
    ['Menlo-Park', 'menlopark'],
    ['São Paulo', 'sãopaulo'], // Meta's param builder drops the ã; its docs keep UTF-8
    ['北京', '北京'],
    ['Tokyo', 'tokyo'],
    ['...', drop('empty_value')],
  ]);
});

describe('st: US/CA names → 2-letter codes; others lowercase without punctuation/spaces', () => {
  describe('country unknown', () => {
    check((value) => normalizeMetaState(value), [
      ['California', 'ca'],
      ['  California.  ', 'ca'],
      ['CA', 'ca'],
      ['New York', 'ny'],
      ['Ontario', 'on'],
      ['British Columbia', 'bc'],
      ['Québec', 'qc'],
      ['Tokyo', 'tokyo'],
      ['Île-de-France', 'îledefrance'],
      ['123', drop('invalid_state')],
    ]);
  });
  describe('country us', () => {
    check((value) => normalizeMetaState(value, 'us'), [['Georgia', 'ga']]);
  });
  describe('country ge (Georgia the country): names are not mapped', () => {
    check((value) => normalizeMetaState(value, 'ge'), [
      ['Georgia', 'georgia'],
      ['Tbilisi', 'tbilisi'],
    ]);
  });
});

describe('zp: lowercase, no spaces, part before "-"; US: first 5 digits', () => {
  describe('country unknown', () => {
    check((value) => normalizeMetaPostalCode(value), [
      ['100-0001', '100'],
      ['94035', '94035'],
      ['37221-3312', '37221'],
      ['M1 1AE', 'm11ae'],
      ['SW1A 1AA', 'sw1a1aa'],
      ['K1A 0A6', 'k1a0a6'],
      ['1', drop('invalid_zip')],
      ['-', drop('invalid_zip')],
    ]);
  });
  describe('country us', () => {
    check((value) => normalizeMetaPostalCode(value, 'us'), [
      ['94105-1234', '94105'],
      ['941051234', '94105'],
      ['94105 1234', '94105'],
      ['9410', drop('invalid_zip')],
    ]);
  });
});

describe('country: lowercase ISO 3166-1 alpha-2; names map to codes', () => {
  check(normalizeMetaCountry, [
    ['JP', 'jp'],
    ['jp', 'jp'],
    ['Japan', 'jp'],
    ['japan', 'jp'],
    ['日本', 'jp'],
    ['JPN', 'jp'],
    ['United States', 'us'],
    ['United States of America', 'us'],
    ['usa', 'us'],
    ['USA', 'us'],
    ['UK', 'gb'],
    ['uk', 'gb'],
    ['United Kingdom', 'gb'],
    ['England', 'gb'],
    ['Deutschland', 'de'],
    ["Côte d'Ivoire", 'ci'],
    ["Cote d'Ivoire", 'ci'],
    ['South Korea', 'kr'],
    ['XX', drop('invalid_country')],
    ['Atlantis', drop('invalid_country')],
    ['---', drop('invalid_country')],
  ]);
});

describe('external_id: trim, then hash; case kept', () => {
  check(normalizeMetaExternalId, [
    ['  user_42  ', 'user_42'],
    ['USER-42', 'USER-42'],
  ]);
});
