import { startRedisCluster, type PrivateRedisCluster } from '@capconnect/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, isShardPrefixOf, keySlot, shardOfEvent, shardPrefixes } from './shards.js';

describe('queue shards', () => {
  it('computes Redis Cluster slots, hash tags included', () => {
    // Test vector of the cluster specification: CRC16 of "123456789" is 0x31C3.
    expect(keySlot('123456789')).toBe(0x31c3 % CLUSTER_SLOTS);
    expect(keySlot('{capconnect}:meta:wait')).toBe(keySlot('capconnect'));
  });

  it('keeps the historical prefix when there is one shard', () => {
    expect(shardPrefixes(1)).toEqual(['{capconnect}']);
    expect(shardOfEvent('any-event', 1)).toBe(0);
  });

  it('gives each of N shards a distinct tag in the middle of its own N-th of the slots', () => {
    for (const count of [2, 3, 6, 8, 64]) {
      const prefixes = shardPrefixes(count);
      expect(new Set(prefixes).size).toBe(count);
      prefixes.forEach((prefix, index) => {
        expect(prefix).toMatch(new RegExp(`^\\{capconnect-${index}-\\d+\\}$`));
        const width = CLUSTER_SLOTS / count;
        const slot = keySlot(prefix);
        expect(slot).toBeGreaterThanOrEqual(index * width + width / 4);
        expect(slot).toBeLessThan((index + 1) * width - width / 4);
      });
    }
    expect(shardPrefixes(6)).toBe(shardPrefixes(6));
    expect(shardPrefixes(2, '{cctest-ab}')[1]).toMatch(/^\{cctest-ab-1-\d+\}$/);
  });

  it('refuses shard counts and prefixes it cannot serve', () => {
    expect(() => shardPrefixes(0)).toThrow(RangeError);
    expect(() => shardPrefixes(65)).toThrow(RangeError);
    expect(() => shardPrefixes(1.5)).toThrow(RangeError);
    expect(() => shardPrefixes(2, 'capconnect')).toThrow('hash tag');
  });

  it('recognises its own shard prefixes and nothing else', () => {
    expect(isShardPrefixOf('{capconnect}')).toBe(true);
    expect(isShardPrefixOf('{capconnect-3-17}')).toBe(true);
    expect(isShardPrefixOf('{capconnectx}')).toBe(false);
    expect(isShardPrefixOf('{capconnect-3}')).toBe(false);
    expect(isShardPrefixOf('{capconnect-a-1}')).toBe(false);
    expect(isShardPrefixOf('{cctest-1-0}', '{cctest}')).toBe(true);
  });

  it('routes an event by its id alone, spreading ids evenly', () => {
    const counts = Array.from({ length: 6 }, () => 0);
    for (let index = 0; index < 6000; index += 1) {
      const shard = shardOfEvent(`order-${index}`, 6);
      expect(shardOfEvent(`order-${index}`, 6)).toBe(shard);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // 1000 expected per shard; a binomial spread stays well within ±20 %.
    for (const count of counts) expect(count).toBeGreaterThan(800);
    for (const count of counts) expect(count).toBeLessThan(1200);
  });

  describe('on a 3-master cluster', () => {
    let cluster: PrivateRedisCluster;
    beforeAll(async () => { cluster = await startRedisCluster({ masters: 3 }); });
    afterAll(async () => { await cluster.dispose(); });

    it('agrees with Redis on every shard slot and puts two of six shards on each master', async () => {
      const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
      try {
        const prefixes = shardPrefixes(6);
        for (const prefix of prefixes) expect(await client.cluster('KEYSLOT', `${prefix}:meta:wait`)).toBe(keySlot(prefix));
        // The tag rules at their edges: an empty tag hashes the whole key; only the first tag counts.
        for (const key of ['{}:x', 'a{}{b}', '{a}{b}', 'no-tag', '{unclosed', 'ü{ä}']) {
          expect(await client.cluster('KEYSLOT', key)).toBe(keySlot(key));
        }
        const masters = await cluster.masters();
        const perMaster = masters.map((master) =>
          prefixes.filter((prefix) => master.slots.some(([first, last]) => keySlot(prefix) >= first && keySlot(prefix) <= last)).length);
        expect(perMaster).toEqual([2, 2, 2]);
      } finally {
        client.disconnect();
      }
    });
  });
});
