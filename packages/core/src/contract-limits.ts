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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `event.customData` over its cap, read from the input as posted (also when other fields are invalid). */
export function customDataIssue(input: unknown): ContractIssue | undefined {
  const event = isRecord(input) ? input['event'] : undefined;
  const customData = isRecord(event) ? event['customData'] : undefined;
  if (!isRecord(customData) || utf8Bytes(customData) <= MAX_CUSTOM_DATA_BYTES) return undefined;
  return { path: 'event.customData', message: `must be at most ${MAX_CUSTOM_DATA_BYTES} bytes as JSON` };
}

const SECTIONS = ['customer', 'event', 'consent', 'destinations'] as const;

/**
 * The whole item over `MAX_ITEM_BYTES`. The issue names the largest field (`event.contents`,
 * `customer.email`), so the sender knows what to shrink; never a value.
 */
export function itemSizeIssue(input: unknown): ContractIssue | undefined {
  if (!isRecord(input) || utf8Bytes(input) <= MAX_ITEM_BYTES) return undefined;
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
