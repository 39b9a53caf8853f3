import { hash } from 'node:crypto';

/** SHA-256 of the empty string. A digest of nothing matches nobody, so it must never be emitted. */
export const EMPTY_STRING_DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const DIGEST_PATTERN = /^[0-9a-f]{64}$/i;

/**
 * SHA-256 of the UTF-8 bytes of `value`, lowercase hex (docs/architecture.md#normalization-and-hashing; the format both Meta and Google expect).
 * Refuses the empty string: callers normalize first and drop empty results, so an empty input is a bug.
 */
export function sha256Hex(value: string): string {
  if (value.length === 0) {
    throw new RangeError('refusing to hash the empty string');
  }
  // One-shot (Node ≥ 20.12; the engines field asks for 20.19): no Hash object per digest.
  return hash('sha256', value, 'hex');
}

/** True for a 64-character hex string (either case): a value the advertiser already hashed. */
export function isDigest(value: string): boolean {
  return value.length === 64 && DIGEST_PATTERN.test(value);
}
