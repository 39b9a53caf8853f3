import { createKeyring, generateKeyText, type GooglePreparedEvent } from '@capconnect/core';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { metaEvent } from './test/fixtures.js';
import { jobIdFor } from './job-id.js';
import type { JobData } from './job-schema.js';
import { QUEUE_NAMES } from './queue-names.js';
import { createRedisConnection } from './connection.js';
import { formatFailure, type DeliveryOutcome } from './outcome.js';
import { Producer } from './producer.js';
import { readEventStatus, waitForOutcomes } from './status.js';

const keyring = createKeyring(generateKeyText());
const policy = { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 60 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

const googleEvent: GooglePreparedEvent = {
  provider: 'google', event: metaEvent.event, mode: 'click', conversionActionId: '123', digests: {}, match: { gclid: 'gclid-x' },
};

function setup(): { producer: Producer; prefix: string } {
  const prefix = freshPrefix();
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix, keyring, policy });
  cleanups.push(async () => { await producer.close(); connection.disconnect(); });
  return { producer, prefix };
}

/** A stand-in worker that settles every job of one queue the way `settle` says. */
function worker(prefix: string, queueName: string, settle: (job: Job<JobData>) => Promise<DeliveryOutcome>): Worker {
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  const instance = new Worker<JobData, DeliveryOutcome>(queueName, settle, {
    connection, prefix,
    settings: { backoffStrategy: () => 60_000 },
  });
  instance.on('error', () => undefined);
  cleanups.push(async () => { await instance.close(); await connection.quit(); });
  return instance;
}

describe('readEventStatus', () => {
  it('reports an unknown event as an empty list and a fresh job as queued', async () => {
    const { producer } = setup();
    expect(await readEventStatus(producer.queues, 'nope')).toEqual([]);
    await producer.enqueue([{ eventId: 'order-1', prepared: [metaEvent, googleEvent] }]);
    const statuses = await readEventStatus(producer.queues, 'order-1');
    expect(statuses).toEqual([
      { provider: 'meta', jobId: jobIdFor('meta', 'order-1'), state: 'queued', attempts: 0 },
      { provider: 'google', jobId: jobIdFor('google', 'order-1'), state: 'queued', attempts: 0 },
    ]);
  });

  it('reads sent, failed, expired and retrying from the worker outcome and failure reason', async () => {
    const { producer, prefix } = setup();
    const sentAt = Date.now();
    worker(prefix, QUEUE_NAMES.meta, (job) => {
      if (job.id === jobIdFor('meta', 'ok')) return Promise.resolve({ status: 'sent', httpStatus: 200, reference: 'trace-1', attempts: 1, batchSize: 3, sentAt });
      if (job.id === jobIdFor('meta', 'expired')) throw new UnrecoverableError(formatFailure({ code: 'expired' }));
      throw new UnrecoverableError(formatFailure({ code: 'meta_100', httpStatus: 400, reference: 'trace-2' }));
    });
    worker(prefix, QUEUE_NAMES.google, () => { throw new Error(formatFailure({ code: 'http_500', httpStatus: 500 })); });
    const item = (eventId: string) => ({ eventId, prepared: [{ ...metaEvent, event: { ...metaEvent.event, eventId } }] });
    await producer.enqueue([item('ok'), item('expired'), item('bad'), { eventId: 'later', prepared: [googleEvent] }]);
    const targets = ['ok', 'expired', 'bad'].map((eventId) => ({ provider: 'meta' as const, jobId: jobIdFor('meta', eventId) }));
    const waited = await waitForOutcomes(producer.queues, targets, { timeoutMs: 10_000 });
    expect(waited.complete).toBe(true);
    expect(waited.statuses.map((status) => [status?.state, status?.reason, status?.httpStatus, status?.reference])).toEqual([
      ['sent', undefined, 200, 'trace-1'],
      ['expired', 'expired', undefined, undefined],
      ['failed', 'meta_100', 400, 'trace-2'],
    ]);
    expect(waited.statuses[0]).toMatchObject({ attempts: 1, finishedAt: sentAt });

    await expect.poll(async () => (await readEventStatus(producer.queues, 'later'))[0]?.state, { timeout: 10_000 }).toBe('retrying');
    const [retrying] = await readEventStatus(producer.queues, 'later');
    expect(retrying?.attempts).toBe(1);
    expect(retrying?.nextAttemptAt).toBeGreaterThan(Date.now() + 50_000);
    expect(retrying?.nextAttemptAt).toBeLessThan(Date.now() + 61_000);
  });

  it('stops waiting at the deadline with what is known', async () => {
    const { producer } = setup();
    await producer.enqueue([{ eventId: 'stuck', prepared: [metaEvent] }]);
    const started = Date.now();
    const waited = await waitForOutcomes(producer.queues, [{ provider: 'meta', jobId: jobIdFor('meta', 'stuck') }], { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(waited).toMatchObject({ complete: false, statuses: [{ state: 'queued' }] });
  });
});
