import countries from 'i18n-iso-countries';
import { accept, reject, type Normalized } from './result.js';
import { toNfc } from './text.js';

/**
 * Names i18n-iso-countries does not carry but address forms commonly hold. The library already maps
 * `UK`, `USA`, `Great Britain`, `Holland`, `UAE` and names in its 78 languages; only the UK's
 * constituent countries are missing.
 */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['england', 'GB'],
  ['scotland', 'GB'],
  ['wales', 'GB'],
  ['northernireland', 'GB'],
]);

const NOT_LETTER = /[^\p{L}\p{M}]/gu;
const COMBINING_MARK = /\p{M}/gu;
const LATIN_ONLY = /^\p{Script=Latin}+$/u;

/** `United States` and `united-states` meet at `unitedstates`. */
function nameKey(name: string): string {
  return toNfc(name.toLowerCase().replace(NOT_LETTER, ''));
}

/** `Côte d'Ivoire` and `Cote dIvoire` meet at `cotedivoire`; only for Latin script, where accents are optional. */
function foldedKey(key: string): string | undefined {
  return LATIN_ONLY.test(key) ? key.normalize('NFD').replace(COMBINING_MARK, '') : undefined;
}

let nameIndex: Map<string, string> | undefined;

/** Every country name in every bundled language, English first so it wins the few cross-language clashes. */
function countryNameIndex(): Map<string, string> {
  if (nameIndex !== undefined) {
    return nameIndex;
  }
  const index = new Map<string, string>(ALIASES);
  const languages = ['en', ...countries.getSupportedLanguages().filter((language) => language !== 'en')];
  for (const language of languages) {
    for (const [alpha2, names] of Object.entries(countries.getNames(language, { select: 'all' }))) {
      for (const name of names) {
        const key = nameKey(name);
        const folded = foldedKey(key);
        for (const candidate of folded === undefined ? [key] : [key, folded]) {
          if (candidate.length > 0 && !index.has(candidate)) {
            index.set(candidate, alpha2);
          }
        }
      }
    }
  }
  nameIndex = index;
  return index;
}

/**
 * ISO 3166-1 alpha-2 in uppercase, from an alpha-2 code, an alpha-3 code or a country name in any of
 * i18n-iso-countries' languages (`JP`, `JPN`, `Japan`, `日本`, `UK`, `usa`); undefined otherwise.
 */
export function toAlpha2(value: string): string | undefined {
  const trimmed = toNfc(value).trim();
  if (/^[A-Za-z]{2}$/.test(trimmed) && countries.isValid(trimmed.toUpperCase())) {
    return trimmed.toUpperCase();
  }
  if (/^[A-Za-z]{3}$/.test(trimmed)) {
    const alpha2 = countries.alpha3ToAlpha2(trimmed.toUpperCase());
    if (alpha2 !== undefined) {
      return alpha2;
    }
  }
  const key = nameKey(trimmed);
  if (key.length === 0) {
    return undefined;
  }
  const index = countryNameIndex();
  const folded = foldedKey(key);
  return index.get(key) ?? (folded === undefined ? undefined : index.get(folded));
}

/** Meta `country`: lowercase ISO 3166-1 alpha-2; names map to codes (docs/decisions.md#country-names-through-a-maintained-library). */
export function normalizeMetaCountry(value: string): Normalized {
  const alpha2 = toAlpha2(value);
  return alpha2 === undefined ? reject('invalid_country') : accept(alpha2.toLowerCase());
}

/** Google `countryCode`: ISO 3166-1 alpha-2, uppercase, sent in plain text (docs/platforms.md#google-normalization-and-hashing). */
export function normalizeGoogleCountry(value: string): Normalized {
  const alpha2 = toAlpha2(value);
  return alpha2 === undefined ? reject('invalid_country') : accept(alpha2);
}
