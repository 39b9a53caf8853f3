import { randomBytes } from 'node:crypto';
import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { startRedisCluster, type PrivateRedisCluster } from '@capconnect/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from './connection.js';
import { discoverShardPrefixes } from './discover.js';
import { Producer, QueueUnavailableError } from './producer.js';
import { createRequestRecords } from './request-records.js';
import { keySlot, shardOfEvent, shardPrefixes } from './shards.js';
import { retryWhileSlotsMove } from './slot-retry.js';

const metaEvent = (id: string): MetaPreparedEvent => ({
  provider: 'meta',
  event: { eventName: 'Purchase', eventId: id, eventTime: Math.floor(Date.now() / 1000), actionSource: 'website' },
  userData: { em: ['a'.repeat(64)] },
  match: {},
});

/**
 * BullMQ on a real Redis Cluster through our own connection factory: sharded prefixes spread the
 * queues over the masters, and jobs keep flowing while a shard's slot moves to another master.
 */

const SHARDS = 6;

describe('sharded BullMQ queues on a 3-master Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  const connections: RedisConnection[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  // Replicas too: the producer's WAIT needs them.
  beforeAll(async () => { cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 }); });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    for (const connection of connections) connection.disconnect();
    await cluster.dispose();
  });

  const connect = (role: 'producer' | 'worker') => {
    const connection = createRedisConnection(cluster.url, role, { connectionName: `cluster-test-${role}` });
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  };

  it('adds and processes jobs on every shard, through a slot migration, each job once', async () => {
    const base = `{cctest-${randomBytes(6).toString('hex')}}`;
    const prefixes = shardPrefixes(SHARDS, base);
    const producer = connect('producer');
    const consumer = connect('worker');
    const queues = prefixes.map((prefix) => new Queue('meta', { connection: producer, prefix }));
    for (const queue of queues) closers.push(() => queue.close());
    const seen = new Map<string, number>();
    const workers = prefixes.map((prefix) => new Worker('meta', (job) => {
      seen.set(job.id ?? '', (seen.get(job.id ?? '') ?? 0) + 1);
      return Promise.resolve('done');
    }, { connection: consumer, prefix, concurrency: 50 }));
    for (const worker of workers) closers.push(() => worker.close());

    const ids = Array.from({ length: 1800 }, (_, index) => `event-${index}`);
    // A pipeline of adds half-applied when a slot starts moving fails as a whole; with fixed job
    // ids the whole round can simply be repeated (slot-retry.ts).
    const addRound = async (round: readonly string[]) => {
      const byShard = new Map<number, string[]>();
      for (const id of round) byShard.set(shardOfEvent(id, SHARDS), [...(byShard.get(shardOfEvent(id, SHARDS)) ?? []), id]);
      await Promise.all([...byShard].map(([shard, shardIds]) => retryWhileSlotsMove(
        async () => { await queues[shard]?.addBulk(shardIds.map((id) => ({ name: 'deliver', data: { id }, opts: { jobId: id, removeOnComplete: false } }))); },
        { deadlineMs: Date.now() + 10_000 },
      )));
    };

    // Shard 0's slot moves from its master to another one while rounds of adds keep coming.
    const slot = keySlot(prefixes[0] ?? '');
    const masters = await cluster.masters();
    const owner = masters.find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
    const destination = masters.find((master) => master !== owner);
    if (!owner || !destination) throw new Error('cluster topology unexpected');
    await addRound(ids.slice(0, 600));
    const migration = cluster.migrateSlot(slot, destination.port, { keysPerStep: 20, pauseMs: 5 });
    for (let start = 600; start < 1200; start += 50) await addRound(ids.slice(start, start + 50));
    const { movedKeys } = await migration;
    await addRound(ids.slice(1200));
    // Re-sends of the same events: BullMQ keeps the existing jobs.
    await addRound(ids.slice(0, 300));

    await expect.poll(() => seen.size, { timeout: 30_000, interval: 200 }).toBe(ids.length);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    const completed = await Promise.all(queues.map((queue) => queue.getCompletedCount()));
    expect(completed.reduce((a, b) => a + b, 0)).toBe(ids.length);
    completed.forEach((count, shard) => { expect(count).toBe(ids.filter((id) => shardOfEvent(id, SHARDS) === shard).length); });

    // The slot really moved, with jobs in it, and clients were redirected to its new owner.
    expect(movedKeys).toBeGreaterThan(0);
    const ownerAfter = (await cluster.masters()).find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
    expect(ownerAfter?.port).toBe(destination.port);
    const redirections = await Promise.all(cluster.ports.map((port) => cluster.errorReplies(port)));
    expect(redirections.reduce((sum, errors) => sum + (errors.MOVED ?? 0), 0)).toBeGreaterThan(0);

    // Every master holds keys of the sharded queues, and discovery finds all six prefixes.
    const stats = await cluster.stats();
    for (const node of stats) expect(node.keys).toBeGreaterThan(0);
    expect(await discoverShardPrefixes(producer, base)).toEqual([...prefixes].sort());
  });

  it('the producer routes each event to its shard, reports re-sends as duplicates, and waits for replicas when asked', async () => {
    const base = `{cctest-${randomBytes(6).toString('hex')}}`;
    const connection = connect('producer');
    const policy = { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 60 };
    const keyring = createKeyring(generateKeyText());
    const producer = new Producer({ connection, prefix: base, shards: SHARDS, keyring, policy, waitReplicas: 1, waitTimeoutMs: 2000 });
    closers.push(() => producer.close());
    await producer.awaitReady(5000);
    const ids = Array.from({ length: 600 }, (_, index) => `order-${index}`);
    const first = await producer.enqueue(ids.map((id) => ({ eventId: id, prepared: [metaEvent(id)] })));
    expect(new Set(first.flat().map((job) => job.status))).toEqual(new Set(['queued']));
    const again = await producer.enqueue(ids.slice(0, 100).map((id) => ({ eventId: id, prepared: [metaEvent(id)] })));
    expect(new Set(again.flat().map((job) => job.status))).toEqual(new Set(['duplicate']));
    const waiting = await Promise.all(producer.shards.shards().map((shard) => shard.queues.meta.getWaitingCount()));
    waiting.forEach((count, shard) => { expect(count).toBe(ids.filter((id) => shardOfEvent(id, SHARDS) === shard).length); });

    // Two replicas per master do not exist: the WAIT runs out and the write is not acknowledged.
    const strict = new Producer({ connection, prefix: base, shards: SHARDS, keyring, policy, waitReplicas: 2, waitTimeoutMs: 50 });
    closers.push(() => strict.close());
    await expect(strict.enqueue([{ eventId: 'order-strict', prepared: [metaEvent('order-strict')] }])).rejects.toBeInstanceOf(QueueUnavailableError);
    // The job is stored all the same: a retry by the client is answered `duplicate`.
    expect((await producer.enqueue([{ eventId: 'order-strict', prepared: [metaEvent('order-strict')] }]))[0]?.[0]?.status).toBe('duplicate');
  });

  it('keeps each Data Manager request record under the base prefix and each event index key on its shard, spread over the masters', async () => {
    const base = `{cctest-${randomBytes(6).toString('hex')}}`;
    const connection = connect('worker');
    const records = createRequestRecords(connection, { prefix: base, shards: SHARDS, firstPollDelayMs: 0 });
    // One request carries events of every shard (a worker's batcher fills from all of them at once):
    // a single transaction over their keys would be refused as CROSSSLOT.
    const eventIds = Array.from({ length: 300 }, (_, index) => `dm-${index}`);
    await records.save({ requestId: 'req-cluster', provider: 'google', eventIds, sentAtMs: Date.now(), validateOnly: false, warnings: {} });
    for (const eventId of eventIds.slice(0, 30)) expect((await records.forEvent(eventId))?.requestId).toBe('req-cluster');

    // Where the index keys are: on each master, as many as its shards' events.
    const prefixes = shardPrefixes(SHARDS, base);
    const slotOf = (eventId: string) => keySlot(prefixes[shardOfEvent(eventId, SHARDS)] ?? '');
    const perMaster: number[] = [];
    for (const master of await cluster.masters()) {
      const node = new Redis({ host: '127.0.0.1', port: master.port, lazyConnect: true });
      await node.connect();
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `{${base.slice(1, -1)}-*}:dmdiag:ev:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      node.disconnect();
      perMaster.push(keys.length);
      const owns = (slot: number) => master.slots.some(([low, high]) => slot >= low && slot <= high);
      expect(keys.length).toBe(eventIds.filter((eventId) => owns(slotOf(eventId))).length);
    }
    expect(perMaster.reduce((sum, count) => sum + count, 0)).toBe(eventIds.length);
    for (const count of perMaster) expect(count).toBeGreaterThan(eventIds.length / 6);
    expect(await connection.exists(`${base}:dmdiag:req:req-cluster`)).toBe(1);

    expect(await records.forEvent('dm-never-sent')).toBeUndefined();
  });
});
