import type { CustomerValue } from '../contract.js';
import type { Warning } from '../types.js';

/**
 * Characters that do not belong in an email address someone typed, but that a copy from a web page,
 * a spreadsheet or a Japanese IME brings along: U+FFFD (what invalid UTF-8 in the body became),
 * zero-width characters and the byte-order mark, and full-width forms (`ｊｏｈｎ`, U+FF01–U+FF5E, and
 * the ideographic space). The value is still hashed exactly as before, since folding them (NFKC)
 * would change the digests of existing inputs; the warning tells the sender the address will
 * probably not match (docs/decisions.md#email-character-warnings).
 */
const UNUSUAL = /[\ufffd\u200b-\u200d\u2060\ufeff\uff01-\uff5e\u3000]/;

/** One `unusual_characters` warning per email value that contains such a character. */
export function emailCharacterWarnings(raw: CustomerValue | undefined): Warning[] {
  if (raw === undefined) return [];
  if (typeof raw === 'string') return UNUSUAL.test(raw) ? [{ field: 'customer.email', code: 'unusual_characters' }] : [];
  const warnings: Warning[] = [];
  raw.forEach((value, index) => {
    if (UNUSUAL.test(value)) warnings.push({ field: `customer.email[${index}]`, code: 'unusual_characters' });
  });
  return warnings;
}
