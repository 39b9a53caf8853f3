import { randomUUID } from 'node:crypto';
import { sha256Hex } from './hash.js';

/** Prefix of event ids derived from an order id, so they are recognizable in logs and status lookups. */
export const DERIVED_EVENT_ID_PREFIX = 'ord-';

/**
 * The idempotency key of an event that came without `eventId` (docs/decisions.md#event-id-when-missing).
 *
 * With an order id: `ord-` + the first 32 hex characters of SHA-256(`eventName` NUL `orderId`), so the
 * same order posted twice gets the same id (and is queued once), and the order id itself, which may
 * be guessable, is not exposed. Without one: a random UUID, and no deduplication is possible; the
 * caller reports `generated_event_id`.
 */
export function deriveEventId(eventName: string, orderId?: string, randomUuid: () => string = randomUUID): string {
  if (orderId === undefined) {
    return randomUuid();
  }
  return DERIVED_EVENT_ID_PREFIX + sha256Hex(`${eventName}\u0000${orderId}`).slice(0, 32);
}
