import { createHash } from 'node:crypto';
import { deriveEventId } from '@capconnect/core';

/** Prefix of ids made from a row's identifying columns (rows without an order id). */
export const IMPORT_EVENT_ID_PREFIX = 'imp-';

/** What the id of a row without an order id is made of: everything that identifies the conversion. */
export interface IdentifyingFields {
  eventName: string;
  eventTimeS: number;
  value?: number | undefined;
  currency?: string | undefined;
  /** Customer and click-id fields as read (trimmed), by field path. */
  identifiers: ReadonlyArray<readonly [string, readonly string[]]>;
}

/**
 * The event id of an imported row, the same on every run of the same file, so a re-run or a resumed
 * run is deduplicated by the api's job ids and by the platforms (docs/decisions.md#import-event-ids):
 * - an `eventId` column is used as given;
 * - with an order id, the id the api itself derives for an event without `eventId`
 *   (`deriveEventId`: `ord-` + a SHA-256 prefix of name and order id), so an order already posted
 *   online the same way is recognised as a duplicate too;
 * - otherwise `imp-` + 40 hex of SHA-256 over the conversion name, time, value, currency and every
 *   customer and click-id field, in a fixed order. Nothing that varies by run (row number, import
 *   time, consent, options) is in it, and no value appears in clear.
 */
export function importEventId(fields: IdentifyingFields, orderId: string | undefined): string {
  if (orderId !== undefined) return deriveEventId(fields.eventName, orderId);
  const canonical = JSON.stringify([
    'capconnect-import-v1', fields.eventName, fields.eventTimeS, fields.value ?? null, fields.currency?.toUpperCase() ?? null,
    [...fields.identifiers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return IMPORT_EVENT_ID_PREFIX + createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 40);
}
