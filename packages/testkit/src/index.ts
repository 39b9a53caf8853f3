import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';

export { freeLocalPort } from '@capconnect/sandbox';
export { startPrivateRedis, waitForRedis, type PrivateRedis, type PrivateRedisOptions } from './redis-server.js';
export {
  parseClusterNodes, startRedisCluster, type ClusterNodeInfo, type ClusterNodeStats, type PrivateRedisCluster, type RedisClusterOptions,
} from './redis-cluster.js';
export { CANARIES, CANARY_PHONES, CANARY_SEARCH } from './canaries.js';
export { CONTRACT_FIELDS } from './contract-fields.js';
export { captureIo, type CapturedIo } from './capture-io.js';
export { startSharedRedis, type SharedRedis } from './shared-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** The URL of the Redis shared by this test run (see global-setup.ts). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** The prefixes `freshPrefix` handed out in this test file (each file runs in its own module context). */
const handedOut = new Set<string>();

/**
 * A BullMQ prefix no other test uses, in Redis Cluster hash-tag form like the production
 * `{capconnect}`, so tests sharing one Redis never see each other's keys. Every key under it is
 * deleted after the test file (setup-file.ts).
 */
export function freshPrefix(): string {
  const prefix = `{cctest-${randomBytes(6).toString('hex')}}`;
  handedOut.add(prefix);
  return prefix;
}

/** Deletes every key under `prefix` on the Redis at `url`; returns how many. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url);
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}*`;
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', '1000');
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/** Deletes the keys under every prefix `freshPrefix` handed out in this test file, on the shared Redis. */
export async function deleteFreshPrefixKeys(): Promise<void> {
  const url = testRedisUrl();
  for (const prefix of handedOut) await deleteKeysWithPrefix(url, prefix);
  handedOut.clear();
}

/**
 * Every key matching `pattern` with its whole value rendered as text (strings, hashes, lists,
 * sets, sorted sets and streams), for tests that scan Redis for personal data. A
 * `redis-cluster://` URL is scanned on every master.
 */
export async function dumpRedis(url: string, pattern = '*'): Promise<Map<string, string>> {
  const cluster = url.startsWith('redis-cluster://')
    ? new Cluster(url.slice('redis-cluster://'.length).split(',').map((hostPort) => {
      const [host = '127.0.0.1', port = '6379'] = hostPort.split(':');
      return { host, port: Number(port) };
    }))
    : undefined;
  const client = cluster ?? new Redis(url);
  try {
    if (cluster) await new Promise<void>((resolve) => { cluster.once('ready', () => { resolve(); }); });
    const dump = new Map<string, string>();
    const nodes = cluster ? cluster.nodes('master') : [client as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', '1000');
        cursor = next;
        for (const key of keys) dump.set(key, await renderKey(client, key));
      } while (cursor !== '0');
    }
    return dump;
  } finally {
    client.disconnect();
  }
}

async function renderKey(client: Redis | Cluster, key: string): Promise<string> {
  const type = await client.type(key);
  switch (type) {
    case 'string': return (await client.get(key)) ?? '';
    case 'hash': return JSON.stringify(await client.hgetall(key));
    case 'list': return JSON.stringify(await client.lrange(key, 0, -1));
    case 'set': return JSON.stringify(await client.smembers(key));
    case 'zset': return JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES'));
    case 'stream': return JSON.stringify(await client.xrange(key, '-', '+'));
    default: return '';
  }
}

/** The canaries found in `haystack` (an empty list means none leaked). */
export function findCanaries(haystack: string, canaries: readonly string[]): string[] {
  const lower = haystack.toLowerCase();
  return canaries.filter((canary) => lower.includes(canary.toLowerCase()));
}
