import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpRedis } from './index.js';
import { parseClusterNodes, startRedisCluster, type PrivateRedisCluster } from './redis-cluster.js';

const started: PrivateRedisCluster[] = [];
afterAll(async () => { await Promise.all(started.map((cluster) => cluster.dispose())); });

async function answers(port: number): Promise<boolean> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

describe('the private Redis Cluster fixture', () => {
  it('reads CLUSTER NODES lines, replicas and failed nodes included', () => {
    const nodes = parseClusterNodes([
      'a1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460 [5461->-b2]',
      'b2 127.0.0.1:7002@17002 master,fail - 0 0 2 connected 5461-10922 12000',
      'c3 127.0.0.1:7003@17003 slave a1 0 0 1 connected',
    ].join('\n'));
    expect(nodes).toEqual([
      { id: 'a1', port: 7001, role: 'master', slots: [[0, 5460]], healthy: true },
      { id: 'b2', port: 7002, role: 'master', slots: [[5461, 10922], [12000, 12000]], healthy: false },
      { id: 'c3', port: 7003, role: 'replica', masterId: 'a1', slots: [], healthy: true },
    ]);
  });

  it('starts 3 masters that split the slots evenly and serve a cluster client', async () => {
    const cluster = await startRedisCluster({ masters: 3 });
    started.push(cluster);
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const owned = masters.map((master) => master.slots.reduce((sum, [first, last]) => sum + last - first + 1, 0));
    expect(owned.reduce((a, b) => a + b, 0)).toBe(16384);
    for (const count of owned) expect(count).toBeGreaterThanOrEqual(5461);
    expect(cluster.url).toMatch(/^redis-cluster:\/\/127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/);

    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      // Tags chosen to land on three different masters: {a} slot 15495, {b} 3300, {c} 7365.
      await Promise.all(['a', 'b', 'c'].map((tag) => client.set(`{${tag}}:key`, tag)));
      expect(await client.get('{b}:key')).toBe('b');
      const stats = await cluster.stats();
      expect(stats.map((node) => node.keys).sort()).toEqual([1, 1, 1]);
      for (const node of stats) expect(node.cpuS).toBeGreaterThan(0);
      expect((await cluster.info(cluster.ports[0] ?? 0, 'server')).redis_mode).toBe('cluster');
      // The canary scan sees every master's keys.
      expect(Object.fromEntries(await dumpRedis(cluster.url))).toEqual({ '{a}:key': 'a', '{b}:key': 'b', '{c}:key': 'c' });
    } finally {
      client.disconnect();
    }

    await cluster.dispose();
    for (const port of cluster.ports) expect(await answers(port)).toBe(false);
  });

  it('fails a SIGKILLed master over to its replica and keeps what was replicated', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    started.push(cluster);
    const nodes = await cluster.nodes();
    expect(nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })), { clusterRetryStrategy: () => 100 });
    client.on('error', () => undefined);
    try {
      await client.set('{b}:kept', 'yes');
      const slot = await client.cluster('KEYSLOT', '{b}:kept');
      const victim = (await cluster.masters()).find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
      if (!victim) throw new Error('no master owns the slot');
      const replica = nodes.find((node) => node.masterId === victim.id);
      // WAIT: the write has reached the replica before the master dies.
      const waitClient = cluster.client(victim.port);
      expect(await waitClient.wait(1, 5000)).toBe(1);
      waitClient.disconnect();

      await cluster.kill(victim.port);
      const successor = await cluster.waitForFailover(victim.port);
      expect(successor.port).toBe(replica?.port);
      await expect.poll(() => client.get('{b}:kept').catch(() => null), { timeout: 10_000 }).toBe('yes');
      expect((await cluster.masters()).map((master) => master.port)).not.toContain(victim.port);
    } finally {
      client.disconnect();
    }
  });
});
