import { sha256Hex } from './hash.js';

/** Prefix of event ids derived from an order id, so they are recognizable in logs and status lookups. */
export const DERIVED_EVENT_ID_PREFIX = 'ord-';
/** Prefix of event ids derived from the whole item as posted (no `eventId`, no `orderId`). */
export const POSTED_EVENT_ID_PREFIX = 'pst-';

/**
 * The idempotency key of an event that came with an order id but without `eventId`
 * (docs/decisions.md#event-id-when-missing):
 * `ord-` + the first 32 hex characters of SHA-256(`eventName` NUL `orderId`), so the same order
 * posted twice gets the same id (and is queued once), and the order id itself, which may be
 * guessable, is not exposed.
 */
export function deriveEventId(eventName: string, orderId: string): string {
  return DERIVED_EVENT_ID_PREFIX + sha256Hex(`${eventName}\u0000${orderId}`).slice(0, 32);
}

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every level and `undefined` members left
 * out, so two values that are equal as data serialize to the same text whatever their key order.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((element) => canonicalJson(element)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record).sort().filter((key) => record[key] !== undefined);
    return `{${members.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/**
 * The idempotency key of an event with neither `eventId` nor `orderId`: `pst-` + 40 hex of
 * SHA-256 over the canonical JSON of its `customer` and `event` exactly as posted, before any
 * default (no `eventTime` means none, not "now"), so a client that retries the same body after a
 * 503 or a lost answer gets the same id and the event is stored once. Two identical id-less
 * events are therefore one event (docs/decisions.md#posted-event-ids). Like the import's `imp-`
 * ids, nothing in it varies by request (time of arrival, consent, destinations).
 */
export function postedEventId(customer: unknown, event: unknown): string {
  const canonical = canonicalJson(['capconnect-posted-v1', customer ?? {}, event]);
  return POSTED_EVENT_ID_PREFIX + sha256Hex(canonical).slice(0, 40);
}
