import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection } from './connection.js';
import { jobIdFor } from './job-id.js';
import type { JobData } from './job-schema.js';
import { OutcomeEvents } from './outcome-events.js';
import type { DeliveryOutcome } from './outcome.js';
import { Producer } from './producer.js';
import { QUEUE_NAMES } from './queue-names.js';
import { readEventStatus, waitForOutcomes } from './status.js';
import { metaEvent } from './test/fixtures.js';

/**
 * What a status read and a wait cost Redis, counted rather than timed: bytes received on the
 * producer's socket per lookup, and status reads per wait.
 */

const keyring = createKeyring(generateKeyText());
const policy = { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 60 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

function setup(): { producer: Producer; prefix: string; connection: Redis } {
  const prefix = freshPrefix();
  const connection = createRedisConnection(testRedisUrl(), 'producer') as Redis;
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix, keyring, policy });
  cleanups.push(async () => { await producer.close(); connection.disconnect(); });
  return { producer, prefix, connection };
}

/** Bytes Redis sends on `connection` while `action` runs. */
async function bytesReceived(connection: Redis, action: () => Promise<unknown>): Promise<number> {
  let bytes = 0;
  const count = (chunk: Buffer) => { bytes += chunk.length; };
  connection.stream.on('data', count);
  try {
    await action();
  } finally {
    connection.stream.off('data', count);
  }
  return bytes;
}

/** Counts the commands named `name` that `connection` sends from now on. */
function countCommands(connection: Redis, name: string): { readonly count: number } {
  const counter = { count: 0 };
  const original = connection.sendCommand.bind(connection);
  connection.sendCommand = (command, stream) => {
    if (command.name.toLowerCase() === name) counter.count += 1;
    return original(command, stream);
  };
  return counter;
}

const bigEvent = (eventId: string): MetaPreparedEvent => ({
  ...metaEvent,
  event: { ...metaEvent.event, eventId },
  match: { ...metaEvent.match, customData: { note: 'x'.repeat(400_000) } },
});

describe('status read cost', () => {
  it('reads a few hundred bytes per lookup, however large the sealed event', async () => {
    const { producer, prefix, connection } = setup();
    await producer.enqueue([{ eventId: 'big', prepared: [bigEvent('big')] }]);
    const jobKey = `${prefix}:${QUEUE_NAMES.meta}:${jobIdFor('meta', 'big')}`;
    expect(await connection.hstrlen(jobKey, 'data')).toBeGreaterThan(400_000);
    await readEventStatus(producer.queues, 'warm-up'); // BullMQ's first command on a queue checks the Redis version

    let statuses: Awaited<ReturnType<typeof readEventStatus>> = [];
    const bytes = await bytesReceived(connection, async () => { statuses = await readEventStatus(producer.queues, 'big'); });
    expect(statuses).toMatchObject([{ provider: 'meta', state: 'queued', attempts: 0 }]);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(1024);
  });

  it('waits on settlement notices: one read at the start and one when the job settles, no polling', async () => {
    const { producer, prefix, connection } = setup();
    const events = new OutcomeEvents({ connect: () => createRedisConnection(testRedisUrl(), 'worker'), prefix });
    cleanups.push(() => events.close());
    await events.ready();
    await producer.enqueue([{ eventId: 'ev-1', prepared: [bigEvent('ev-1')] }]);
    const hmgets = countCommands(connection, 'hmget');
    const target = { provider: 'meta' as const, jobId: jobIdFor('meta', 'ev-1') };
    // A safety poll far beyond the test: only a notice can end this wait with `complete`.
    const waiting = waitForOutcomes(producer.queues, [target], { timeoutMs: 60_000, events, safetyPollMs: 600_000 });
    await expect.poll(() => hmgets.count).toBe(1);
    expect(events.watchedJobs).toBe(1);

    const workerConnection = createRedisConnection(testRedisUrl(), 'worker');
    const worker = new Worker<JobData, DeliveryOutcome>(QUEUE_NAMES.meta, () => Promise.resolve({
      status: 'sent', httpStatus: 200, reference: 'trace-ev', attempts: 1, batchSize: 1, sentAt: Date.now(),
    }), { connection: workerConnection, prefix });
    worker.on('error', () => undefined);
    cleanups.push(async () => { await worker.close(); await workerConnection.quit(); });

    const waited = await waiting;
    expect(waited).toMatchObject({ complete: true, statuses: [{ state: 'sent', reference: 'trace-ev' }] });
    expect(hmgets.count).toBe(2);
    expect(events.watchedJobs).toBe(0);
  });
});
