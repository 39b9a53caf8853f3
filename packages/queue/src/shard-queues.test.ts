import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ShardQueues } from './shard-queues.js';
import { shardOfEvent, shardPrefixes } from './shards.js';

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
});
