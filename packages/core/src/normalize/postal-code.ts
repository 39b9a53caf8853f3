import { accept, reject, type Normalized } from './result.js';
import { isAscii } from './text.js';

const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]/gu;
/** The same for lowercased ASCII text, where letters and digits are `a–z` and `0–9`. */
const NOT_ASCII_LETTER_OR_DIGIT = /[^a-z0-9]+/g;
const US_ZIP = /^(\d{5})/;

/**
 * Meta `zp`: lowercase, no spaces, only the part before the first `-`; in the US, the first five
 * digits (docs/platforms.md#meta-normalization-and-hashing; Meta's SDKs: `split('-')[0]`, at least 2 characters).
 * `country` is the customer's lowercase alpha-2 when known; without it no US rule applies.
 * Note the rule keeps only `100` of the Japanese `100-0001`: that is what Meta's code does.
 */
export function normalizeMetaPostalCode(value: string, country?: string): Normalized {
  const dash = value.indexOf('-');
  const beforeDash = (dash === -1 ? value : value.slice(0, dash)).toLowerCase();
  const compact = isAscii(beforeDash) ? beforeDash.replace(NOT_ASCII_LETTER_OR_DIGIT, '') : beforeDash.replace(NOT_LETTER_OR_DIGIT, '');
  if (country === 'us') {
    const zip = US_ZIP.exec(compact)?.[1];
    return zip === undefined ? reject('invalid_zip') : accept(zip);
  }
  return compact.length < 2 ? reject('invalid_zip') : accept(compact);
}
