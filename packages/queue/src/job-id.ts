import { createHash } from 'node:crypto';
import type { Provider } from '@capconnect/core';

/**
 * Job id = `<destination>-<eventId digest>`: BullMQ forbids `:` in ids and ignores an add whose id
 * already exists, which makes the queue itself the idempotency check (docs/architecture.md#job-id).
 */
export function jobIdFor(provider: Provider, eventId: string): string {
  return `${provider}-${createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, 40)}`;
}
