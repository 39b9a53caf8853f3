import type { Queue } from 'bullmq';
import type { RedisConnection } from './connection.js';
import { jobIdFor } from './job-id.js';
import type { DeliveryStatus } from './outcome.js';
import { QUEUE_PREFIX } from './queue-names.js';
import { createRequestRecords, type RequestDiagnostics } from './request-records.js';

/**
 * Where the records are: the base prefix, the queue shard count and the prefixes of older shards
 * (default the queue's own prefix, one shard, none older).
 */
export interface RecordsLocation {
  prefix?: string | undefined;
  shards?: number | undefined;
  olderPrefixes?: readonly string[] | undefined;
}

/**
 * The Google request diagnostics of one event, read with the queue's own connection
 * (docs/architecture.md#request-diagnostics). Undefined when the event was not sent through the
 * Data Manager API in the last 50 h.
 */
export async function readRequestDiagnostics(queue: Queue, eventId: string, location: RecordsLocation = {}): Promise<RequestDiagnostics | undefined> {
  const client = await queue.getBackend().client as unknown as RedisConnection;
  // Records live under the base prefix, their event index under the event's shard (request-records.ts).
  const prefix = location.prefix ?? queue.opts.prefix ?? QUEUE_PREFIX;
  return createRequestRecords(client, { prefix, shards: location.shards, olderEventPrefixes: location.olderPrefixes, firstPollDelayMs: 0 }).forEvent(eventId);
}

/**
 * Adds `diagnostics` to the Google entry of an event status. The record outlives completed-job
 * retention: when the job is gone but the record is not, the entry is rebuilt from the record
 * (`sent`, the request id as reference; `attempts` is then a lower bound).
 */
export async function withRequestDiagnostics(
  googleQueue: Queue, eventId: string, statuses: DeliveryStatus[], location: RecordsLocation = {},
): Promise<DeliveryStatus[]> {
  const google = statuses.find((status) => status.provider === 'google');
  if (google !== undefined && google.state !== 'sent') return statuses;
  const diagnostics = await readRequestDiagnostics(googleQueue, eventId, location);
  if (diagnostics === undefined) return statuses;
  if (google !== undefined) return statuses.map((status) => (status === google ? { ...status, diagnostics } : status));
  return [...statuses, {
    provider: 'google', jobId: jobIdFor('google', eventId), state: 'sent', attempts: 1,
    reference: diagnostics.requestId, finishedAt: diagnostics.sentAt, diagnostics,
  }];
}
