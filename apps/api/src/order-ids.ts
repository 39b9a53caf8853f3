import type { CheckedItem } from './ingest.js';

/**
 * Warns (`duplicate_order_id` on `event.orderId`) on every event of one ingest batch whose order id
 * an earlier, different event of the batch already has, when it goes to Google: the legacy Google
 * path refuses the second conversion of an order in one request (DUPLICATE_ORDER_ID), and on the
 * Data Manager path the second restates the first (docs/platforms.md#google-deduplication). The
 * same event twice is a duplicate, not a conflict, and is not warned about. Mutates `checked`.
 */
export function warnSharedOrderIds(checked: readonly CheckedItem[]): void {
  const firstEventByOrder = new Map<string, string>();
  for (const item of checked) {
    if (item.kind !== 'prepared') continue;
    const google = item.result.prepared.find((prepared) => prepared.provider === 'google');
    const orderId = google?.event.orderId;
    if (orderId === undefined) continue;
    const first = firstEventByOrder.get(orderId);
    if (first === undefined) {
      firstEventByOrder.set(orderId, item.result.eventId);
    } else if (first !== item.result.eventId) {
      item.result.warnings.push({ field: 'event.orderId', code: 'duplicate_order_id' });
    }
  }
}
