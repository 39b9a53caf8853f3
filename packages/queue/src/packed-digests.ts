import type { GoogleDigests, MetaUserDigests } from '@capconnect/core';
import { z } from 'zod';

/**
 * Digests in a v3 job (docs/architecture.md#job-schema): all digests of a job in one string,
 * `<counts>.<base64url>`. The counts say, field by field in a fixed order, how many 32-byte digests
 * follow (`0`–`9`, `a` for ten; trailing zeros left out); the base64url part is the digests' bytes
 * back to back. 43 characters per digest instead of 64 hex characters plus a JSON string each.
 * Readers get lowercase hex back, exactly what was packed.
 */

/** One digest field: its name and whether it holds a list (1–10) or one digest. */
export type DigestField<K extends string> = readonly [name: K, kind: 'list' | 'one'];

// Packing orders (the prepared event's own key order). Never reorder: jobs in Redis are read with
// them; a new field is appended. Data Manager's is in dm-digests.ts.

/** Meta `user_data`, all lists. */
export const META_DIGEST_FIELDS = [
  ['em', 'list'], ['ph', 'list'], ['fn', 'list'], ['ln', 'list'], ['ge', 'list'], ['db', 'list'],
  ['ct', 'list'], ['st', 'list'], ['zp', 'list'], ['country', 'list'], ['external_id', 'list'],
] as const satisfies readonly DigestField<keyof MetaUserDigests>[];

/** Google Ads API digests. */
export const GOOGLE_ADS_DIGEST_FIELDS = [
  ['hashedEmail', 'list'], ['hashedPhoneNumber', 'list'], ['hashedFirstName', 'one'], ['hashedLastName', 'one'], ['hashedStreetAddress', 'one'],
] as const satisfies readonly DigestField<keyof GoogleDigests>[];

const DIGEST_BYTES = 32;
const MAX_PER_FIELD = 10;

/** The schema of a packed string for a layout of `fields` (the counts' shape; the lengths are checked by `unpackDigests`). */
export function packedDigestsSchema(fields: readonly DigestField<string>[]): z.ZodString {
  const counts: string[] = fields.map(([, kind]) => (kind === 'list' ? '[0-9a]' : '[01]'));
  // Each field's count may be left out from the end: "em only" is `1`, not `10000000000`.
  const pattern = counts.reduceRight((rest, count) => `${count}(?:${rest})?`);
  // No length limit here: `unpackDigests` accepts exactly the length the counts call for, and a
  // JSON Schema maxLength costs the compiled check a pass over the string's code points.
  return z.string().regex(new RegExp(`^${pattern}\\.[A-Za-z0-9_-]+$`));
}

const COUNT_CHARS = '0123456789a';
const countOf = (char: string): number => (char === 'a' ? MAX_PER_FIELD : Number(char));

/**
 * Packs the digests of `fields` present in `digests`; undefined when there are none. Throws on a
 * digest that is not 64 hex characters (the prepared event guarantees them; a packed string must
 * never silently lose one). Indexed loops and one hex decode: this runs for every job the api adds.
 */
export function packDigests<K extends string>(fields: readonly DigestField<K>[], digests: Partial<Record<K, string | readonly string[]>>): string | undefined {
  let counts = '';
  let used = 0;
  let hex = '';
  let total = 0;
  let lengthsOk = true;
  for (let index = 0; index < fields.length; index += 1) {
    const value = digests[(fields[index] as DigestField<K>)[0]];
    let count = 0;
    if (typeof value === 'string') {
      count = 1;
      lengthsOk &&= value.length === DIGEST_BYTES * 2;
      hex += value;
    } else if (value !== undefined) {
      count = value.length;
      for (let n = 0; n < count; n += 1) {
        const digest = value[n] as string;
        lengthsOk &&= digest.length === DIGEST_BYTES * 2;
        hex += digest;
      }
    }
    if (count > MAX_PER_FIELD) throw new RangeError(`more than ${MAX_PER_FIELD} digests in one field`);
    counts += COUNT_CHARS[count] ?? '';
    if (count > 0) {
      used = index + 1;
      total += count;
    }
  }
  if (total === 0) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  // Buffer.from stops at the first character that is not hex: a short buffer means a bad digest.
  if (!lengthsOk || bytes.length !== total * DIGEST_BYTES) throw new TypeError('a digest is not 64 hex characters');
  return `${counts.slice(0, used)}.${bytes.toString('base64url')}`;
}

/** Unpacks a packed string into lowercase hex digests per field; undefined when its counts and bytes disagree. */
export function unpackDigests<K extends string>(fields: readonly DigestField<K>[], packed: string): Partial<Record<K, string | string[]>> | undefined {
  const dot = packed.indexOf('.');
  const counts = packed.slice(0, dot);
  const encoded = packed.slice(dot + 1);
  if (dot < 1 || counts.length > fields.length) return undefined;
  let total = 0;
  for (const char of counts) total += countOf(char);
  const bytes = total * DIGEST_BYTES;
  // Exactly the unpadded base64url length of `bytes` bytes: no digest missing, none extra.
  if (encoded.length !== Math.ceil((bytes * 4) / 3)) return undefined;
  const hex = Buffer.from(encoded, 'base64url').toString('hex');
  if (hex.length !== bytes * 2) return undefined;
  const digests: Partial<Record<K, string | string[]>> = {};
  let at = 0;
  for (let index = 0; index < counts.length; index += 1) {
    const field = fields[index];
    const count = countOf(counts[index] ?? '0');
    if (field === undefined || count === 0) continue;
    const [name, kind] = field;
    if (kind === 'one') {
      if (count !== 1) return undefined;
      digests[name] = hex.slice(at, at + 64);
    } else {
      const list: string[] = [];
      for (let n = 0; n < count; n += 1) list.push(hex.slice(at + n * 64, at + (n + 1) * 64));
      digests[name] = list;
    }
    at += count * 64;
  }
  return digests;
}
