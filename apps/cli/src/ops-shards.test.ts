import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { Producer, QUEUE_NAMES, createRedisConnection, formatFailure, jobIdFor, shardOfEvent, shardPrefixes } from '@capconnect/queue';
import { captureIo, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { failedListCommand, failedShowCommand, replayCommand } from './failed.js';
import { openQueues } from './queues.js';
import { statsCommand } from './stats.js';

/** The operator commands with QUEUE_SHARDS=3, plus a shard left behind by an earlier QUEUE_SHARDS=2. */

/** A fresh prefix whose 2-shard and 3-shard prefixes differ (they may share a tag, which would be one queue). */
function prefixWithDistinctShards(): string {
  for (;;) {
    const candidate = freshPrefix();
    if (!shardPrefixes(2, candidate).some((shard) => shardPrefixes(3, candidate).includes(shard))) return candidate;
  }
}
const prefix = prefixWithDistinctShards();
const event = (id: string): MetaPreparedEvent => ({
  provider: 'meta',
  event: { eventName: 'Purchase', eventId: id, eventTime: Math.floor(Date.now() / 1000), actionSource: 'website' },
  userData: { em: ['a'.repeat(64)] },
  match: {},
});
const connection = createRedisConnection(testRedisUrl(), 'producer');
const policy = { maxAttempts: 1, completedRetentionS: 60, failedRetentionS: 600 };
const keyring = createKeyring(generateKeyText());
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  connection.disconnect();
});

/** Fails every waiting Meta job under `shardPrefix` with meta_100. */
async function failAll(shardPrefix: string, count: number): Promise<void> {
  if (count === 0) return;
  const workerConnection = createRedisConnection(testRedisUrl(), 'worker');
  let done = 0;
  await new Promise<void>((resolve) => {
    const worker = new Worker(QUEUE_NAMES.meta, () => { throw new UnrecoverableError(formatFailure({ code: 'meta_100', httpStatus: 400 })); }, { connection: workerConnection, prefix: shardPrefix });
    worker.on('failed', () => {
      done += 1;
      if (done === count) void worker.close().then(() => { workerConnection.disconnect(); resolve(); });
    });
  });
}

describe('operator commands over shards', () => {
  it('stats, failed and replay cover every shard, older shards included', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `order-${index}`);
    const producer = new Producer({ connection, prefix, shards: 3, keyring, policy });
    closers.push(() => producer.close());
    await producer.enqueue(ids.map((id) => ({ eventId: id, prepared: [event(id)] })));
    // Left by a deployment that ran QUEUE_SHARDS=2 before.
    const before = new Producer({ connection, prefix, shards: 2, keyring, policy });
    closers.push(() => before.close());
    await before.enqueue([{ eventId: 'old-order', prepared: [event('old-order')] }]);
    const oldPrefix = shardPrefixes(2, prefix)[shardOfEvent('old-order', 2)] ?? '';
    for (const [index, shardPrefix] of shardPrefixes(3, prefix).entries()) await failAll(shardPrefix, ids.filter((id) => shardOfEvent(id, 3) === index).length);
    await failAll(oldPrefix, 1);

    const ops = await openQueues(testRedisUrl(), { prefix, shards: 3 });
    closers.push(() => ops.close());
    // BullMQ writes a queue's meta hash when the queue object starts, so every shard the old
    // deployment opened is found, with or without jobs.
    const older = [...shardPrefixes(2, prefix)].sort();
    expect(ops.shards.map((shard) => shard.label)).toEqual(['0', '1', '2', ...older.map((candidate) => candidate.slice(1, -1))]);
    const stats = captureIo();
    await statsCommand(ops, stats, { json: true });
    const counts = JSON.parse(stats.stdout()) as { meta: { failed: number }; shards: { shard: string; meta: { failed: number } }[] };
    expect(counts.meta.failed).toBe(31);
    expect(counts.shards.map((shard) => shard.meta.failed)).toEqual([
      ...[0, 1, 2].map((index) => ids.filter((id) => shardOfEvent(id, 3) === index).length),
      ...older.map((candidate) => (candidate === oldPrefix ? 1 : 0)),
    ]);
    const table = captureIo();
    await statsCommand(ops, table, {});
    expect(table.stdout()).toMatch(/meta shard 2 /);

    const list = captureIo();
    await failedListCommand(ops, list, { json: true, limit: 100 });
    expect((JSON.parse(list.stdout()) as { eventId: string }[]).map((row) => row.eventId).sort()).toEqual([...ids, 'old-order'].sort());
    const show = captureIo();
    // The job id does not name its shard: `show` finds it in whichever shard holds it.
    expect(await failedShowCommand(ops, show, jobIdFor('meta', 'order-7'), { json: true })).toBe(0);
    expect((JSON.parse(show.stdout()) as { eventId: string }).eventId).toBe('order-7');

    const replay = captureIo();
    await replayCommand(ops, replay, { json: true });
    expect(JSON.parse(replay.stdout())).toMatchObject({ matched: 31, replayed: 31 });
    const after = captureIo();
    await statsCommand(ops, after, { json: true });
    expect(JSON.parse(after.stdout())).toMatchObject({ meta: { failed: 0, waiting: 31 } });
  });
});
