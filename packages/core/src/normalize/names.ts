import { accept, type Normalized } from './result.js';
import { lowercaseCollapsedSpaces, lowercaseLettersOnly } from './text.js';

/**
 * Meta `fn` / `ln`: lowercase, no punctuation, no spaces, letters of any script kept
 * (`O'Brien` → `obrien`, `Mary Jane` → `maryjane`, `valéry`, `정`; docs/decisions.md#meta-names-and-cities-keep-every-script:
 * the pixel removes inner spaces, so the server must too).
 */
export function normalizeMetaName(value: string): Normalized {
  return accept(lowercaseLettersOnly(value));
}

/** Meta `ct`: the same rule as names (`New York` → `newyork`, `São Paulo` → `sãopaulo`). */
export function normalizeMetaCity(value: string): Normalized {
  return accept(lowercaseLettersOnly(value));
}

/** Meta `external_id`: trimmed (already done by the caller), then hashed; case is kept (docs/decisions.md#meta-external_id-keeps-its-case). */
export function normalizeMetaExternalId(value: string): Normalized {
  return accept(value);
}

/**
 * Google `hashedFirstName` / `hashedLastName` / `hashedStreetAddress`: trim, lowercase
 * (docs/decisions.md#google-names-keep-punctuation). Inner runs of whitespace collapse to one space, following the
 * proto comment "remove any extra spaces before, after, and in between".
 */
export function normalizeGoogleAddressText(value: string): Normalized {
  return accept(lowercaseCollapsedSpaces(value));
}

/** Google's plain `city`, `state`, `postalCode`: sent as given, trimmed (done by the caller). */
export function normalizeGooglePlain(value: string): Normalized {
  return accept(value);
}

/** A leading courtesy title: `mr`, `mrs`, `ms`, `miss`, `dr`, with a dot or a space after it. */
const GIVEN_NAME_PREFIX = /^(?:mr|mrs|ms|miss|dr)(?:\.\s*|\s+)/u;
/** A trailing generational or academic suffix, after a space or a comma. */
const FAMILY_NAME_SUFFIX = /[\s,]+(?:jr|sr|ii|iii|iv|md|phd|dds|esq)\.?$/u;

/**
 * Data Manager `givenName`: the Google rule above, without a courtesy title (`Mrs. Jane` → `jane`),
 * as Google's formatting guide asks (docs/platforms.md#dm-formatting). A value that is only a title
 * is kept as it is rather than dropped.
 */
export function normalizeDataManagerGivenName(value: string): Normalized {
  const text = lowercaseCollapsedSpaces(value);
  const stripped = text.replace(GIVEN_NAME_PREFIX, '').trim();
  return accept(stripped === '' ? text : stripped);
}

/** Data Manager `familyName`: the Google rule without a suffix (`Smith, Jr.` → `smith`); docs/platforms.md#dm-formatting. */
export function normalizeDataManagerFamilyName(value: string): Normalized {
  const text = lowercaseCollapsedSpaces(value);
  const stripped = text.replace(FAMILY_NAME_SUFFIX, '').trim();
  return accept(stripped === '' ? text : stripped);
}
