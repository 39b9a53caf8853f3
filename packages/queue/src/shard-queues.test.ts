import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequestRecords, eventDigest } from './request-records.js';
import { ShardQueues } from './shard-queues.js';
import { shardOfEvent, shardPrefixes } from './shards.js';
import { readEventStatus } from './status.js';

describe('shard queues', () => {
  const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
    connection.disconnect();
  });

  it('keeps the single {capconnect} queue pair by default', () => {
    const queues = new ShardQueues({ connection });
    closers.push(() => queues.close());
    expect(queues.shards().map((shard) => [shard.prefix, shard.label])).toEqual([['{capconnect}', '0']]);
    expect(queues.shardOf('any').queues.meta.name).toBe('meta');
  });

  it('routes an event to its shard and finds shards written under another count', async () => {
    const base = freshPrefix();
    const queues = new ShardQueues({ connection, prefix: base, count: 3 });
    closers.push(() => queues.close());
    expect(queues.shards().map((shard) => shard.prefix)).toEqual(shardPrefixes(3, base));
    expect(queues.shardOf('order-7').index).toBe(shardOfEvent('order-7', 3));
    expect(await queues.discover()).toEqual([]);

    // A job left by a deployment that ran with QUEUE_SHARDS=2.
    const oldPrefix = shardPrefixes(2, base)[1] ?? '';
    const old = new Queue('google', { connection, prefix: oldPrefix });
    closers.push(() => old.close());
    await old.add('deliver', {}, { jobId: 'google-old' });
    const found = await queues.discover();
    expect(found.map((shard) => [shard.prefix, shard.index, shard.label])).toEqual([[oldPrefix, undefined, oldPrefix.slice(1, -1)]]);
    expect(queues.all()).toHaveLength(4);
    expect(await found[0]?.queues.google.getJobState('google-old')).toBe('waiting');
    // Discovering again adds nothing twice.
    await queues.discover();
    expect(queues.all()).toHaveLength(4);
  });

  it('shows the Google diagnostics of an event sent before the shard count changed', async () => {
    // A base whose 2-shard tags include one the 3-shard count computes too (tags are searched per
    // count, so this happens for about half of all bases): both kinds of old shard are then covered.
    let base = freshPrefix();
    while (shardPrefixes(2, base).every((prefix) => !shardPrefixes(3, base).includes(prefix))) base = freshPrefix();
    // Sent while QUEUE_SHARDS=2: the worker indexed the event under the shard that count gave it.
    const before = createRequestRecords(connection, { prefix: base, shards: 2, firstPollDelayMs: 0 });
    const eventIds = Array.from({ length: 12 }, (_, index) => `moved-${index}`);
    await before.save({ requestId: 'req-before-change', provider: 'google', eventIds, sentAtMs: 1_764_500_000_000, validateOnly: false, warnings: {} });
    const oldPrefixes = shardPrefixes(2, base);
    for (const eventId of eventIds) {
      expect(await connection.exists(`${oldPrefixes[shardOfEvent(eventId, 2)] ?? ''}:dmdiag:ev:${eventDigest(eventId)}`)).toBe(1);
    }
    // The old shards still hold queues (as they do until their keys are removed), so readers find them.
    for (const prefix of oldPrefixes) {
      const old = new Queue('google', { connection, prefix });
      closers.push(() => old.close());
      await old.add('deliver', {}, { jobId: `google-old-${prefix}` });
    }

    // Now QUEUE_SHARDS=3: the status lookup finds the records through the older shards.
    const queues = new ShardQueues({ connection, prefix: base, count: 3 });
    closers.push(() => queues.close());
    const moved = eventIds.filter((eventId) => shardPrefixes(3, base)[shardOfEvent(eventId, 3)] !== oldPrefixes[shardOfEvent(eventId, 2)]);
    expect(moved.length).toBeGreaterThan(0);
    const diagnosticsOf = async (eventId: string) => (await readEventStatus(queues, eventId)).find((status) => status.provider === 'google')?.diagnostics;
    expect(await diagnosticsOf(moved[0] ?? '')).toBeUndefined();
    // Tags are searched per count, so an old shard may share its tag with a current one (then it is not "older").
    const current = new Set(shardPrefixes(3, base));
    expect((await queues.discover()).map((shard) => shard.prefix)).toEqual(oldPrefixes.filter((prefix) => !current.has(prefix)));
    expect(eventIds.some((eventId) => current.has(oldPrefixes[shardOfEvent(eventId, 2)] ?? ''))).toBe(true);
    for (const eventId of eventIds) expect((await diagnosticsOf(eventId))?.requestId).toBe('req-before-change');
  });
});
