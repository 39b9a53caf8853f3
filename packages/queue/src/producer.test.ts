import { createKeyring, generateKeyText } from '@capconnect/core';
import { dumpRedis, findCanaries, freshPrefix, startPrivateRedis, testRedisUrl } from '@capconnect/testkit';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { metaEvent } from './test/fixtures.js';
import { checkEvictionPolicy, createRedisConnection, type RedisConnection } from './connection.js';
import { Producer, QueueUnavailableError } from './producer.js';

const keyring = createKeyring(generateKeyText());
const policy = { maxAttempts: 3, completedRetentionS: 60, failedRetentionS: 60 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

function producerOn(url: string, prefix = freshPrefix()): { producer: Producer; connection: RedisConnection } {
  const connection = createRedisConnection(url, 'producer', { commandTimeoutMs: 500 });
  connection.on('error', () => undefined);
  const producer = new Producer({ connection, prefix, keyring, policy });
  cleanups.push(async () => { await producer.close(); connection.disconnect(); });
  return { producer, connection };
}

describe('Producer', () => {
  it('queues one job per destination and reports repeats as duplicates, within and across calls', async () => {
    const { producer } = producerOn(testRedisUrl());
    const google = { ...metaEvent, provider: 'google' as const, mode: 'click' as const, conversionActionId: '1', digests: {}, match: { gclid: 'x' } };
    const { userData: _u, dataProcessing: _d, ...googleBase } = google;
    const item = { eventId: 'order-1', prepared: [metaEvent, googleBase] };
    const first = await producer.enqueue([item, item]);
    expect(first[0]?.map((job) => job.status)).toEqual(['queued', 'queued']);
    expect(first[1]?.map((job) => job.status)).toEqual(['duplicate', 'duplicate']);
    const second = await producer.enqueue([item]);
    expect(second[0]?.map((job) => job.status)).toEqual(['duplicate', 'duplicate']);
    expect(await producer.queues.meta.count()).toBe(1);
    expect(await producer.queues.google.count()).toBe(1);
  });

  it('never reports a new event as a duplicate, although the check and the add share one round trip', async () => {
    const { producer } = producerOn(testRedisUrl());
    const calls = Array.from({ length: 200 }, (_, index) =>
      producer.enqueue([{ eventId: `concurrent-${index}`, prepared: [{ ...metaEvent, event: { ...metaEvent.event, eventId: `concurrent-${index}` } }] }]));
    const results = await Promise.all(calls);
    expect(results.flat(2).map((job) => job.status)).toEqual(Array.from({ length: 200 }, () => 'queued'));
    const again = await Promise.all(calls.map((_, index) => producer.enqueue([{ eventId: `concurrent-${index}`, prepared: [metaEvent] }])));
    expect(again.flat(2).every((job) => job.status === 'duplicate')).toBe(true);
    expect(await producer.queues.meta.count()).toBe(200);
  });

  it('reports exactly the jobs that existed before the call as duplicates, on every shard, with one check per shard', async () => {
    const connection = createRedisConnection(testRedisUrl(), 'producer', { commandTimeoutMs: 2000 });
    connection.on('error', () => undefined);
    const producer = new Producer({ connection, prefix: freshPrefix(), keyring, policy, shards: 3 });
    cleanups.push(async () => { await producer.close(); connection.disconnect(); });
    const item = (id: string) => ({ eventId: id, prepared: [{ ...metaEvent, event: { ...metaEvent.event, eventId: id } }] });
    const ids = Array.from({ length: 60 }, (_, index) => `mixed-${index}`);
    const earlier = ids.filter((_, index) => index % 3 === 0);
    await producer.enqueue(earlier.map(item));
    const scriptCalls: number[] = [];
    const redis = connection as Redis;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = (command, stream) => {
      // The check's only argument besides its keys is their count; BullMQ's add scripts carry data.
      if (command.name === 'evalsha' && command.args.length === Number(command.args[1]) + 2) scriptCalls.push(Number(command.args[1]));
      return send(command, stream);
    };
    const results = await producer.enqueue(ids.map(item));
    expect(results.map((jobs) => jobs.map((job) => job.status))).toEqual(ids.map((_, index) => [index % 3 === 0 ? 'duplicate' : 'queued']));
    // One check per shard the call wrote to, covering all of its jobs.
    expect(scriptCalls.length).toBeLessThanOrEqual(3);
    expect(scriptCalls.reduce((sum, keys) => sum + keys, 0)).toBe(ids.length);
    const counts = await Promise.all(producer.shards.shards().map((shard) => shard.queues.meta.count()));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(ids.length);
  });

  it('on one Redis, sends the check and the adds of a call in one socket write', async () => {
    const { producer, connection } = producerOn(testRedisUrl());
    await producer.enqueue([{ eventId: 'warm-up', prepared: [metaEvent] }]);
    const stream = (connection as Redis).stream;
    const corkedAtWrite: number[] = [];
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      corkedAtWrite.push(stream.writableCorked);
      return write(...args);
    });
    const google = { ...metaEvent, provider: 'google' as const, mode: 'click' as const, conversionActionId: '1', digests: {}, match: { gclid: 'x' } };
    const { userData: _u, dataProcessing: _d, ...googleBase } = google;
    await producer.enqueue([{ eventId: 'one-write', prepared: [metaEvent, googleBase] }]);
    stream.write = write;
    // The check and two adds, every one written while the socket was corked: they leave together at uncork.
    expect(corkedAtWrite).toHaveLength(3);
    expect(corkedAtWrite.every((corked) => corked > 0)).toBe(true);
  });

  it('stores no plaintext match field anywhere under its prefix', async () => {
    const prefix = freshPrefix();
    const { producer } = producerOn(testRedisUrl(), prefix);
    await producer.enqueue([{ eventId: 'order-1', prepared: [metaEvent] }]);
    const dump = await dumpRedis(testRedisUrl(), `${prefix}*`);
    expect(dump.size).toBeGreaterThan(0);
    const text = [...dump].flat().join('\n');
    expect(findCanaries(text, ['203.0.113.7', 'canary-agent', 'IwAR-canary', 'shop.example.com'])).toEqual([]);
  });

  it('fails fast with QueueUnavailableError while Redis is down, and recovers by itself', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.dispose());
    const { producer } = producerOn(redis.url);
    expect(await producer.enqueue([{ eventId: 'a', prepared: [metaEvent] }])).toHaveLength(1);
    await redis.stop();
    const started = Date.now();
    await expect(producer.enqueue([{ eventId: 'b', prepared: [metaEvent] }])).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await producer.ping()).toBe(false);
    await redis.start();
    await expect.poll(() => producer.ping(), { timeout: 5000 }).toBe(true);
    const after = await producer.enqueue([{ eventId: 'b', prepared: [metaEvent] }]);
    expect(after[0]?.[0]?.status).toBe('queued');
  });

  it('warns when Redis may evict queued jobs', async () => {
    const redis = await startPrivateRedis({ maxMemoryPolicy: 'allkeys-lru' });
    cleanups.push(() => redis.dispose());
    const connection = createRedisConnection(redis.url, 'worker');
    cleanups.push(() => connection.quit());
    const warnings: string[] = [];
    expect(await checkEvictionPolicy(connection, (message) => warnings.push(message))).toBe('allkeys-lru');
    expect(warnings).toEqual([expect.stringContaining('must be "noeviction"')]);
  });
});
