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
