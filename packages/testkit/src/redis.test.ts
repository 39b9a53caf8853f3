import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, dumpRedis, findCanaries, freshPrefix, startPrivateRedis, testRedisUrl, type PrivateRedis } from './index.js';

describe('the Redis fixture', () => {
  const privates: PrivateRedis[] = [];
  afterAll(async () => { await Promise.all(privates.map((redis) => redis.dispose())); });

  it('hands every test a reachable shared Redis', async () => {
    const client = new Redis(testRedisUrl());
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('deletes every key under a prefix and nothing else', async () => {
    const [mine, other] = [freshPrefix(), freshPrefix()];
    const client = new Redis(testRedisUrl());
    try {
      await client.set(`${mine}:a`, '1');
      await client.rpush(`${mine}:b:list`, 'x');
      await client.set(`${other}:a`, '1');
      expect(await deleteKeysWithPrefix(testRedisUrl(), mine)).toBe(2);
      expect(await client.exists(`${mine}:a`, `${mine}:b:list`)).toBe(0);
      expect(await client.exists(`${other}:a`)).toBe(1);
    } finally {
      await client.del(`${other}:a`);
      client.disconnect();
    }
  });

  it('gives each test its own hash-tagged prefix', () => {
    const a = freshPrefix();
    expect(a).toMatch(/^\{cctest-[0-9a-f]{12}\}$/);
    expect(freshPrefix()).not.toBe(a);
  });

  it('gives a test its own Redis to stop and restart, keeping AOF data across a restart', async () => {
    const redis = await startPrivateRedis({ appendfsync: 'always' });
    privates.push(redis);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      await client.set('kept', 'yes');
      await redis.kill();
      await expect(client.get('kept')).rejects.toThrow();
      await redis.start();
      await expect.poll(() => client.get('kept').catch(() => null), { timeout: 5000 }).toBe('yes');
    } finally {
      client.disconnect();
    }
  });

  it('dumps every key and value under a prefix so tests can scan for canaries', async () => {
    const prefix = freshPrefix();
    const client = new Redis(testRedisUrl());
    try {
      await client.hset(`${prefix}:h`, 'field', 'canary-hash@example.com');
      await client.xadd(`${prefix}:s`, '*', 'data', 'in-a-stream-7777');
      const dump = await dumpRedis(testRedisUrl(), `${prefix}*`);
      const text = [...dump.entries()].flat().join('\n');
      expect(dump.size).toBe(2);
      expect(findCanaries(text, ['CANARY-HASH@example.com', 'in-a-stream-7777', 'absent'])).toEqual([
        'CANARY-HASH@example.com',
        'in-a-stream-7777',
      ]);
    } finally {
      await client.del(`${prefix}:h`, `${prefix}:s`);
      client.disconnect();
    }
  });
});
