import { createKeyring, generateKeyText } from '@capconnect/core';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from './connection.js';
import { jobIdFor } from './job-id.js';
import type { JobData } from './job-schema.js';
import { OutcomeEvents } from './outcome-events.js';
import type { DeliveryOutcome } from './outcome.js';
import { Producer } from './producer.js';
import { QUEUE_NAMES } from './queue-names.js';
import { metaEvent } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());
const policy = { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 60 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

function setup(idleMs: number) {
  const prefix = freshPrefix();
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix, keyring, policy });
  const opened: RedisConnection[] = [];
  const events = new OutcomeEvents({
    connect: () => {
      const reader = createRedisConnection(testRedisUrl(), 'worker');
      opened.push(reader);
      return reader;
    },
    prefix,
    idleMs,
  });
  cleanups.push(async () => { await events.close(); await producer.close(); connection.disconnect(); });
  return { prefix, producer, events, opened };
}

function settleMetaJobs(prefix: string): void {
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  const worker = new Worker<JobData, DeliveryOutcome>(QUEUE_NAMES.meta, () => Promise.resolve({
    status: 'sent', httpStatus: 200, reference: 'trace', attempts: 1, batchSize: 1, sentAt: Date.now(),
  }), { connection, prefix });
  worker.on('error', () => undefined);
  cleanups.push(async () => { await worker.close(); await connection.quit(); });
}

const meta = (eventId: string) => ({ eventId, prepared: [{ ...metaEvent, event: { ...metaEvent.event, eventId } }] });

describe('settlement notices', () => {
  it('read the event streams only while someone waits, and for idleMs after the last waiter left', async () => {
    const { producer, events, opened } = setup(200);
    await producer.enqueue([meta('ev-idle-1')]);
    expect([events.runningReaders, opened.length]).toEqual([0, 0]);

    const stop = events.subscribe('meta', jobIdFor('meta', 'ev-idle-1'), () => undefined);
    expect(events.runningReaders).toBe(2);
    await events.ready();
    // A second waiter shares the running readers.
    const stopSecond = events.subscribe('google', jobIdFor('google', 'ev-idle-1'), () => undefined);
    expect(opened).toHaveLength(2);
    stop();
    stopSecond();
    expect(events.runningReaders).toBe(2);
    await expect.poll(() => events.runningReaders, { timeout: 5000 }).toBe(0);
    await expect.poll(() => opened.map((connection) => connection.status), { timeout: 5000 }).toEqual(['end', 'end']);

    // The next waiter starts them again.
    const again = events.subscribe('meta', jobIdFor('meta', 'ev-idle-1'), () => undefined);
    expect([events.runningReaders, opened.length]).toEqual([2, 4]);
    again();
  });

  it('a waiter hears of a job that settled while its reader was still starting', async () => {
    const { prefix, producer, events } = setup(60_000);
    await producer.enqueue([meta('ev-race-1')]);
    settleMetaJobs(prefix);
    const queue = producer.queues.meta;
    await expect.poll(async () => queue.getJobState(jobIdFor('meta', 'ev-race-1')), { timeout: 10_000 }).toBe('completed');
    // The job settled before anyone waited and before any reader ran: the reader that this
    // waiter starts reads from shortly before its start, so the notice still comes.
    let heard = 0;
    events.subscribe('meta', jobIdFor('meta', 'ev-race-1'), () => { heard += 1; });
    await expect.poll(() => heard, { timeout: 5000 }).toBe(1);
  });

  it('starts no reader once closed', async () => {
    const { events, opened } = setup(60_000);
    await events.close();
    events.subscribe('meta', jobIdFor('meta', 'ev-closed'), () => undefined);
    expect([events.runningReaders, opened.length]).toEqual([0, 0]);
  });
});
