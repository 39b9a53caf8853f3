import { accept, reject, type Normalized } from './result.js';
import { toNfc } from './text.js';

/**
 * "Looks like an email": one `@`, a non-empty local part of at most 64 characters, a domain of
 * dot-separated non-empty labels ending in a label of at least two characters, no whitespace anywhere.
 * Deliberately loose about which characters appear (Unicode local parts exist) and strict about shape.
 */
const EMAIL_SHAPE = /^[^\s@]{1,64}@(?:[^\s@.]+\.)+[^\s@.]{2,}$/u;

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

function lowercaseEmail(value: string): string {
  return toNfc(value.trim().toLowerCase());
}

/** Meta `em`: trim, lowercase; must look like an email (docs/platforms.md#meta-normalization-and-hashing). */
export function normalizeMetaEmail(value: string): Normalized {
  const email = lowercaseEmail(value);
  return EMAIL_SHAPE.test(email) ? accept(email) : reject('invalid_email');
}

/**
 * Google `hashedEmail`: trim, lowercase; for gmail.com / googlemail.com only, drop the `+suffix`
 * and then every `.` of the local part. Other domains keep dots and plus signs.
 * Source: Google's Data Manager formatting guide and its TypeScript formatter
 * (docs/decisions.md#google-email-rule). Google's Python samples strip
 * dots and `+` on every domain; we treat that as a bug.
 */
export function normalizeGoogleEmail(value: string): Normalized {
  const email = lowercaseEmail(value);
  if (!EMAIL_SHAPE.test(email)) {
    return reject('invalid_email');
  }
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  if (!GMAIL_DOMAINS.has(domain)) {
    return accept(email);
  }
  const local = email.slice(0, at);
  const plus = local.indexOf('+');
  const withoutTag = plus === -1 ? local : local.slice(0, plus);
  const withoutDots = withoutTag.replaceAll('.', '');
  return withoutDots.length === 0 ? reject('invalid_email') : accept(`${withoutDots}@${domain}`);
}
