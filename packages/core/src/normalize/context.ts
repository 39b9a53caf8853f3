import type { Customer } from '../contract.js';
import { toAlpha2 } from './country.js';
import { prepareRaw } from './text.js';

/** What the per-provider rules need besides the value itself. */
export interface NormalizeContext {
  /** Calling-code digits for phone numbers without one when the customer has no country (`81`). */
  defaultCallingCode: string;
  /** The ingest clock, epoch milliseconds: the upper bound of a plausible birth year. */
  nowMs: number;
  /**
   * Phone parses already done for this one event (Meta and Google both need the E.164 form of the
   * same number; parsing is the costliest step). Created per call and dropped with it: plaintext
   * never outlives the request that brought it.
   */
  phoneMemo?: Map<string, string | undefined>;
  /**
   * Digests already computed for this one event, as normalized text and digest pairs
   * (`[text, digest, text, digest, …]`): Meta's and Google's rules often produce the same text
   * (`john`, a non-Gmail address), and a digest depends on the text alone. Same lifetime as `phoneMemo`.
   */
  digestMemo?: string[];
}

/**
 * The customer's country as uppercase alpha-2: the first `customer.country` element that names a
 * country. It decides the phone region, the US ZIP rule and whether US/CA state names are mapped.
 */
export function customerCountry(customer: Customer): string | undefined {
  const raw = customer.country;
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return toAlpha2(prepareRaw(raw));
  for (const value of raw) {
    const alpha2 = toAlpha2(prepareRaw(value));
    if (alpha2 !== undefined) {
      return alpha2;
    }
  }
  return undefined;
}
