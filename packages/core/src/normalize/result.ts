import type { WarningCode } from '../types.js';

/** The outcome of normalizing one personal value: the pre-hash form, or why the value is dropped. */
export type Normalized = { ok: true; value: string } | { ok: false; code: WarningCode };

/** Normalizes one value that is already NFC, trimmed and non-empty. Never throws. */
export type Normalizer = (value: string) => Normalized;

export function accept(value: string): Normalized {
  return value.length === 0 ? { ok: false, code: 'empty_value' } : { ok: true, value };
}

export function reject(code: WarningCode): Normalized {
  return { ok: false, code };
}
