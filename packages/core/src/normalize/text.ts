/** Any UTF-16 code unit outside ASCII (surrogates included). */
const NON_ASCII = /[\u0080-\uffff]/;

/** True when every code unit is ASCII: such text is already NFC and its letters are `A–Z`/`a–z`. */
export function isAscii(value: string): boolean {
  return !NON_ASCII.test(value);
}

/**
 * Unicode NFC first (docs/architecture.md#normalization-and-hashing): Meta's own name vectors (`정`, `valéry`) only match when the input is
 * NFC (docs/platforms.md#meta-normalization-and-hashing, verified), and the same letters typed on different keyboards can
 * arrive composed or decomposed. ASCII text is its own NFC, so it skips the ICU call.
 */
export function toNfc(value: string): string {
  return NON_ASCII.test(value) ? value.normalize('NFC') : value;
}

/** NFC, then trim: the first step for every personal value, before any provider rule. */
export function prepareRaw(value: string): string {
  return toNfc(value).trim();
}

const NOT_LETTER = /[^\p{L}\p{M}]/gu;
/** `NOT_LETTER` for lowercased ASCII text, where the only letters are `a–z`. */
const NOT_ASCII_LETTER = /[^a-z]+/g;

/**
 * Meta's rule for fn, ln, ct (and st outside the US): "lowercase, no punctuation, no special
 * characters, no spaces; UTF-8 if special characters" (docs/platforms.md#meta-normalization-and-hashing). Letters of any
 * script and their combining marks are kept (`valéry`, `정`, `владимир`); everything else goes,
 * digits included (Meta's legacy SDK also drops digits from ct/st).
 * The final NFC keeps the result stable when lowercasing produced a decomposable sequence.
 */
export function lowercaseLettersOnly(value: string): string {
  if (!NON_ASCII.test(value)) return value.toLowerCase().replace(NOT_ASCII_LETTER, '');
  return toNfc(value.toLowerCase().replace(NOT_LETTER, ''));
}

const WHITESPACE_RUN = /\s+/gu;

/** Lowercase and collapse inner runs of whitespace to one space (Google's address-part rule). */
export function lowercaseCollapsedSpaces(value: string): string {
  return toNfc(value.toLowerCase().replace(WHITESPACE_RUN, ' ').trim());
}
