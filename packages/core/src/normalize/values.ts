import { isDigest, sha256Hex } from '../hash.js';
import type { Digest, Warning } from '../types.js';
import type { CustomerValue } from '../contract.js';
import type { Normalizer } from './result.js';
import { prepareRaw } from './text.js';

export interface NormalizedValues {
  values: string[];
  warnings: Warning[];
}

/** The path of element `index` for warnings: `customer.phone` for a single string, `customer.phone[1]` in an array. */
const fieldAt = (field: string, raw: CustomerValue, index: number): string => (typeof raw === 'string' ? field : `${field}[${index}]`);

/**
 * Normalizes every element of a customer field (docs/architecture.md#normalization-and-hashing): NFC, trim, the field's rule; empty and
 * invalid results are dropped with a warning, duplicates removed. Nothing is hashed here.
 */
export function normalizeValues(field: string, raw: CustomerValue | undefined, normalize: Normalizer): NormalizedValues {
  const values: string[] = [];
  const warnings: Warning[] = [];
  if (raw === undefined) return { values, warnings };
  const count = typeof raw === 'string' ? 1 : raw.length;
  for (let index = 0; index < count; index += 1) {
    const prepared = prepareRaw(typeof raw === 'string' ? raw : (raw[index] as string));
    const result = prepared.length === 0 ? ({ ok: false, code: 'empty_value' } as const) : normalize(prepared);
    if (!result.ok) {
      warnings.push({ field: fieldAt(field, raw, index), code: result.code });
    } else if (!values.includes(result.value)) {
      values.push(result.value);
    }
  }
  return { values, warnings };
}

export interface DigestedValues {
  digests: Digest[];
  warnings: Warning[];
}

/** SHA-256 of a normalized value, through the event's memo when there is one (see `NormalizeContext.digestMemo`). */
function digestOf(value: string, memo: Map<string, Digest> | undefined): Digest {
  if (memo === undefined) return sha256Hex(value);
  let digest = memo.get(value);
  if (digest === undefined) {
    digest = sha256Hex(value);
    memo.set(value, digest);
  }
  return digest;
}

/**
 * Like `normalizeValues`, then SHA-256. A value that already is a 64-hex digest is passed through
 * lowercased and never hashed again (docs/architecture.md#normalization-and-hashing). Duplicates are removed
 * after hashing, so a plain value and its own digest count once. `memo` (per event) spares hashing a
 * normalized form another rule already hashed (Meta's and Google's email are often the same text).
 */
export function digestValues(
  field: string,
  raw: CustomerValue | undefined,
  normalize: Normalizer,
  memo?: Map<string, Digest>,
): DigestedValues {
  const digests: Digest[] = [];
  const warnings: Warning[] = [];
  if (raw === undefined) return { digests, warnings };
  const count = typeof raw === 'string' ? 1 : raw.length;
  for (let index = 0; index < count; index += 1) {
    const prepared = prepareRaw(typeof raw === 'string' ? raw : (raw[index] as string));
    let digest: Digest | undefined;
    if (prepared.length === 0) {
      warnings.push({ field: fieldAt(field, raw, index), code: 'empty_value' });
    } else if (isDigest(prepared)) {
      digest = prepared.toLowerCase();
    } else {
      const result = normalize(prepared);
      if (result.ok) {
        digest = digestOf(result.value, memo);
      } else {
        warnings.push({ field: fieldAt(field, raw, index), code: result.code });
      }
    }
    if (digest !== undefined && !digests.includes(digest)) {
      digests.push(digest);
    }
  }
  return { digests, warnings };
}
