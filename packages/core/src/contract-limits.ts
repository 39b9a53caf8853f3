import { isInternationalPhoneNumber } from './normalize/phone.js';
import type { ContractIssue } from './contract-issues.js';

/**
 * Per-event size caps and id rules of the ingest contract (docs/decisions.md#ingest-size-caps,
 * docs/decisions.md#id-rules). One oversized event must fail alone at ingest, never later inside
 * a provider request together with innocent events.
 */

/** Largest `event.customData`, in bytes of its JSON (UTF-8). */
export const MAX_CUSTOM_DATA_BYTES = 4096;
/** Largest ingest item (customer, event, consent, destinations), in bytes of its JSON as posted (UTF-8). */
export const MAX_ITEM_BYTES = 32_768;
/** Oldest accepted `eventTime`, in seconds before now: no platform takes a conversion older than 90 days. */
export const MAX_EVENT_AGE_S = 90 * 86_400;

/** An email address anywhere in an id (ids travel unhashed). */
export const EMAIL_INSIDE = /[^\s@]+@[^\s@]+\.[^\s@]+/;

export const ID_CONTROL_MESSAGE = 'must not contain control characters or unpaired surrogates';
export const ID_PHONE_MESSAGE = 'must not be a phone number (ids are not hashed)';

/**
 * C0 and C1 controls (NUL included) and UTF-16 surrogates without their partner. Ids with these
 * print badly in logs, and a lone surrogate becomes U+FFFD in UTF-8, so two different ids would
 * collide in job-id hashing.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasControlOrLoneSurrogate(value: string): boolean {
  return CONTROL_OR_LONE_SURROGATE.test(value);
}

export { isInternationalPhoneNumber };

const utf8Bytes = (value: unknown): number => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8'));

/** Deeper than this, `jsonBytesBound` leaves the answer to `JSON.stringify` (which also detects cycles). */
const MAX_BOUND_DEPTH = 32;

/**
 * An upper bound of `utf8Bytes(value)` that stops counting past `limit` (then Infinity), or Infinity
 * for anything but plain JSON data. Serializing a whole item to learn that it is far under its cap was
 * a tenth of the contract's cost; adding up lengths is cheaper. A UTF-16 unit never takes more than 6
 * bytes of JSON (`\u001f`, an escaped lone surrogate; a pair is 4 bytes for 2 units), a number never
 * more than 25 characters (`-1.2345678901234567e-123`).
 */
export function jsonBytesBound(value: unknown, limit: number, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return 25;
    case 'boolean':
    case 'undefined': // "null" in an array, left out of an object
      return 5;
    case 'object': {
      if (value === null) return 4;
      if (depth >= MAX_BOUND_DEPTH) return Infinity;
      const prototype: unknown = Object.getPrototypeOf(value);
      const isArray = Array.isArray(value);
      if (prototype !== (isArray ? Array.prototype : Object.prototype) && prototype !== null) return Infinity;
      if ('toJSON' in value) return Infinity;
      let total = 2;
      if (isArray) {
        for (const element of value as unknown[]) {
          total += 1 + jsonBytesBound(element, limit, depth + 1);
          if (total > limit) return Infinity;
        }
        return total;
      }
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        total += key.length * 6 + 4 + jsonBytesBound(record[key], limit, depth + 1);
        if (total > limit) return Infinity;
      }
      return total;
    }
    default: // functions, symbols, bigints: only JSON.stringify knows (or throws)
      return Infinity;
  }
}

/** Whether `value` serializes to at most `limit` bytes of UTF-8 JSON: counted only when the bound is not enough. */
const withinBytes = (value: unknown, limit: number): boolean => jsonBytesBound(value, limit) <= limit || utf8Bytes(value) <= limit;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `event.customData` over its cap, read from the input as posted (also when other fields are invalid). */
export function customDataIssue(input: unknown): ContractIssue | undefined {
  const event = isRecord(input) ? input['event'] : undefined;
  const customData = isRecord(event) ? event['customData'] : undefined;
  if (!isRecord(customData) || withinBytes(customData, MAX_CUSTOM_DATA_BYTES)) return undefined;
  return { path: 'event.customData', message: `must be at most ${MAX_CUSTOM_DATA_BYTES} bytes as JSON` };
}

const SECTIONS = ['customer', 'event', 'consent', 'destinations'] as const;

/**
 * The whole item over `MAX_ITEM_BYTES`. The issue names the largest field (`event.contents`,
 * `customer.email`), so the sender knows what to shrink; never a value.
 */
export function itemSizeIssue(input: unknown): ContractIssue | undefined {
  if (!isRecord(input) || withinBytes(input, MAX_ITEM_BYTES)) return undefined;
  let largest = { path: '', bytes: -1 };
  for (const section of SECTIONS) {
    const value = input[section];
    if (value === undefined) continue;
    const fields: [string, unknown][] = isRecord(value) ? Object.entries(value).map(([key, field]) => [`${section}.${key}`, field]) : [[section, value]];
    for (const [path, field] of fields) {
      const bytes = utf8Bytes(field);
      if (bytes > largest.bytes) largest = { path, bytes };
    }
  }
  return { path: largest.path, message: `makes the event larger than ${MAX_ITEM_BYTES} bytes as JSON (the largest field)` };
}
