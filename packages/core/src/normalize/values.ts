import { isDigest, sha256Hex } from '../hash.js';
import type { Digest, Warning } from '../types.js';
import type { CustomerValue } from '../contract.js';
import type { Normalized } from './result.js';
import { prepareRaw } from './text.js';

/**
 * Normalization and hashing of the values of one customer field (docs/architecture.md#normalization-and-hashing).
 * Both append to arrays the caller owns (one event's digests and warnings), so a field costs no
 * result objects.
 */

/** A field rule with one argument besides the value (the customer's country, the clock…). */
export type RuleWith<A> = (value: string, argument: A) => Normalized;

/** The path of element `index` for warnings: `customer.phone` for a single string, `customer.phone[1]` in an array. */
const fieldAt = (field: string, raw: CustomerValue, index: number): string => (typeof raw === 'string' ? field : `${field}[${index}]`);

/**
 * Normalizes every element of a customer field: NFC, trim, the field's rule; empty and invalid
 * results are dropped with a warning (appended to `warnings` when given), duplicates removed.
 * Nothing is hashed here. Appends to `values`.
 */
export function normalizeInto<A>(
  values: string[], warnings: Warning[] | undefined, field: string, raw: CustomerValue | undefined, normalize: RuleWith<A>, argument: A,
): void {
  if (raw === undefined) return;
  const count = typeof raw === 'string' ? 1 : raw.length;
  for (let index = 0; index < count; index += 1) {
    const prepared = prepareRaw(typeof raw === 'string' ? raw : (raw[index] as string));
    const result: Normalized = prepared.length === 0 ? { ok: false, code: 'empty_value' } : normalize(prepared, argument);
    if (!result.ok) {
      warnings?.push({ field: fieldAt(field, raw, index), code: result.code });
    } else if (!values.includes(result.value)) {
      values.push(result.value);
    }
  }
}

/**
 * SHA-256 of a normalized value, through the event's memo when there is one (see
 * `NormalizeContext.digestMemo`: text and digest pairs). A scan of a dozen entries, most of them
 * told apart by their length, is cheaper than hashing each new text into a Map.
 */
function digestOf(value: string, memo: string[] | undefined): Digest {
  if (memo === undefined) return sha256Hex(value);
  for (let index = 0; index < memo.length; index += 2) {
    if (memo[index] === value) return memo[index + 1] as Digest;
  }
  const digest = sha256Hex(value);
  memo.push(value, digest);
  return digest;
}

/**
 * Like `normalizeInto`, then SHA-256; appends to `digests`. A value that already is a 64-hex digest
 * is passed through lowercased and never hashed again. Duplicates are removed after hashing, so a
 * plain value and its own digest count once. `memo` (per event) spares hashing a normalized form
 * another rule already hashed (Meta's and Google's email are often the same text).
 */
export function digestInto<A>(
  digests: Digest[],
  warnings: Warning[] | undefined,
  field: string,
  raw: CustomerValue | undefined,
  normalize: RuleWith<A>,
  argument: A,
  memo: string[] | undefined,
): void {
  if (raw === undefined) return;
  const count = typeof raw === 'string' ? 1 : raw.length;
  for (let index = 0; index < count; index += 1) {
    const prepared = prepareRaw(typeof raw === 'string' ? raw : (raw[index] as string));
    let digest: Digest | undefined;
    if (prepared.length === 0) {
      warnings?.push({ field: fieldAt(field, raw, index), code: 'empty_value' });
    } else if (isDigest(prepared)) {
      digest = prepared.toLowerCase();
    } else {
      const result = normalize(prepared, argument);
      if (result.ok) {
        digest = digestOf(result.value, memo);
      } else {
        warnings?.push({ field: fieldAt(field, raw, index), code: result.code });
      }
    }
    if (digest !== undefined && !digests.includes(digest)) {
      digests.push(digest);
    }
  }
}
