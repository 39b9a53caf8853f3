import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { BACKOFF_TYPE, QUEUE_NAMES, Producer, createRedisConnection, formatFailure, summarizeJobData } from '@capconnect/queue';
import { captureIo, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedListCommand, failedShowCommand, parseTimeArgument, replayCommand } from './failed.js';
import { openQueues, RedisUnavailableError, type OpsQueues } from './queues.js';
import { statsCommand } from './stats.js';

const keyring = createKeyring(generateKeyText());
const prefix = freshPrefix();
const event = (id: string): MetaPreparedEvent => ({
  provider: 'meta',
  event: { eventName: 'Purchase', eventId: id, eventTime: Math.floor(Date.now() / 1000), actionSource: 'website' },
  userData: { em: ['a'.repeat(64)] },
  match: { clientIpAddress: '198.51.100.23' },
});

let ops: OpsQueues;
let producer: Producer;

/** Fails every job whose event id starts with `expired` as expired and the rest as meta_100. */
async function failAll(count: number): Promise<void> {
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  let done = 0;
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker(QUEUE_NAMES.meta, (job) => {
      const eventId = summarizeJobData(job.data)?.event.eventId ?? '';
      throw new UnrecoverableError(formatFailure(eventId.startsWith('expired') ? { code: 'expired' } : { code: 'meta_100', httpStatus: 400, reference: 'trace-1' }));
    }, { connection, prefix, settings: { backoffStrategy: () => 1 } });
    worker.on('failed', () => {
      done += 1;
      if (done === count) void worker.close().then(() => { connection.disconnect(); resolve(); });
    });
  });
  await finished;
}

beforeAll(async () => {
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  producer = new Producer({ connection, prefix, keyring, policy: { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 600 } });
  await producer.enqueue(['order-1', 'order-2', 'expired-3'].map((id) => ({ eventId: id, prepared: [event(id)] })));
  await failAll(3);
  ops = await openQueues(testRedisUrl(), { prefix });
  return async () => { await producer.close(); connection.disconnect(); };
});
afterAll(async () => { await ops.close(); });

describe('operator commands', () => {
  it('stats prints job counts per queue and state', async () => {
    const io = captureIo();
    expect(await statsCommand(ops, io, { json: true })).toBe(0);
    expect(JSON.parse(io.stdout())).toMatchObject({ meta: { failed: 3, waiting: 0 }, google: { failed: 0 } });
    const table = captureIo();
    await statsCommand(ops, table, {});
    expect(table.stdout()).toMatch(/queue\s+waiting\s+active\s+delayed\s+failed\s+completed\nmeta\s+0\s+0\s+0\s+3\s+0/);
  });

  it('failed list shows codes and metadata, filters by reason, and never prints personal data', async () => {
    const io = captureIo();
    await failedListCommand(ops, io, { json: true, reason: 'meta_100' });
    const rows = JSON.parse(io.stdout()) as { reason: string; httpStatus: number; eventId: string; attempts: number }[];
    expect(rows.map((row) => row.eventId).sort()).toEqual(['order-1', 'order-2']);
    expect(rows[0]).toMatchObject({ reason: 'meta_100', httpStatus: 400, attempts: 1 });
    const table = captureIo();
    await failedListCommand(ops, table, {});
    expect(table.stdout()).toContain('expired');
    expect(table.stdout() + io.stdout()).not.toContain('198.51.100.23');
  });

  it('failed show describes one job without its digests or sealed fields', async () => {
    const io = captureIo();
    const [first] = JSON.parse((await (async () => { const list = captureIo(); await failedListCommand(ops, list, { json: true }); return list; })()).stdout()) as { jobId: string }[];
    expect(await failedShowCommand(ops, io, first!.jobId, { json: true })).toBe(0);
    const detail = JSON.parse(io.stdout()) as Record<string, unknown>;
    expect(detail).toMatchObject({ state: 'failed', identifierFields: ['em'], sealedMatchFields: true });
    expect(io.stdout()).not.toContain('a'.repeat(64));
    const missing = captureIo();
    expect(await failedShowCommand(ops, missing, 'meta-doesnotexist', {})).toBe(1);
  });

  it('replay counts first, dry-run changes nothing, and a real replay moves jobs back to waiting', async () => {
    const dry = captureIo();
    await replayCommand(ops, dry, { dryRun: true });
    expect(dry.stdout()).toContain('2 failed job(s) match (dry run: nothing replayed)');
    expect(dry.stdout()).toContain('meta meta_100: 2');
    expect(await ops.queues.meta.getFailedCount()).toBe(3);

    const io = captureIo();
    await replayCommand(ops, io, { json: true, provider: 'meta', reason: 'meta_100' });
    expect(JSON.parse(io.stdout())).toMatchObject({ matched: 2, replayed: 2, dryRun: false });
    expect(await ops.queues.meta.getFailedCount()).toBe(1);
    expect(await ops.queues.meta.getWaitingCount()).toBe(2);
    const waiting = await ops.queues.meta.getWaiting();
    expect(waiting.every((job) => job.attemptsMade === 0 && job.opts.backoff !== undefined && (job.opts.backoff as { type: string }).type === BACKOFF_TYPE)).toBe(true);
  });

  it('parses time filters', () => {
    expect(parseTimeArgument('6h', 10 * 3_600_000)).toBe(4 * 3_600_000);
    expect(parseTimeArgument('2026-11-28T00:00:00Z', 0)).toBe(Date.UTC(2026, 10, 28));
    expect(() => parseTimeArgument('yesterday', 0)).toThrow(RangeError);
  });

  it('fails fast with a clear error when Redis does not answer', async () => {
    await expect(openQueues('redis://127.0.0.1:1', { prefix, timeoutMs: 500 })).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});
