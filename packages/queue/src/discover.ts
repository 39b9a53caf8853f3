import type { Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';
import { QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
import { isShardPrefixOf } from './shards.js';

/** One BullMQ queue found in Redis: its key prefix and its name (keys are `<prefix>:<name>:…`). */
export interface QueueRef {
  prefix: string;
  name: string;
}

function nodesOf(connection: RedisConnection): Redis[] {
  // A Redis Cluster spreads keys over its masters and SCAN sees one node: SCAN each master.
  return 'nodes' in connection && typeof connection.nodes === 'function'
    ? connection.nodes('master')
    : [connection as Redis];
}

/**
 * Every queue under a prefix starting with `prefixStart` (default `{capconnect`, so the production
 * `{capconnect}` and any shard prefix such as `{capconnect-2}` appear without a code change).
 * BullMQ keeps one hash `<prefix>:<queue>:meta` per queue, written on the first job added
 * (https://docs.bullmq.io/guide/architecture); a job hash has a `data` field, a meta hash never.
 */
export async function discoverQueues(connection: RedisConnection, prefixStart = '{capconnect'): Promise<QueueRef[]> {
  const found = new Map<string, QueueRef>();
  // SCAN's pattern is a glob: escape its special characters in the literal part.
  const pattern = `${prefixStart.replace(/[*?[\]\\]/g, '\\$&')}*:meta`;
  for (const node of nodesOf(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const rest = key.slice(0, -':meta'.length);
        const split = rest.lastIndexOf(':');
        if (split <= 0) continue;
        const ref = { prefix: rest.slice(0, split), name: rest.slice(split + 1) };
        if (ref.name === '' || found.has(rest)) continue;
        if ((await node.type(key)) !== 'hash' || (await node.hexists(key, 'data')) === 1) continue;
        found.set(rest, ref);
      }
    } while (cursor !== '0');
  }
  return [...found.values()].sort((a, b) => `${a.prefix}:${a.name}`.localeCompare(`${b.prefix}:${b.name}`));
}

/**
 * The shard prefixes of `prefix` that hold a delivery queue in Redis, whatever the shard count was
 * when they were written: workers drain them after `QUEUE_SHARDS` changed, and status lookups and
 * the cli read them (docs/architecture.md#changing-the-shard-count).
 */
export async function discoverShardPrefixes(connection: RedisConnection, prefix: string = QUEUE_PREFIX): Promise<string[]> {
  const names = new Set(Object.values(QUEUE_NAMES));
  const refs = await discoverQueues(connection, prefix.slice(0, -1));
  const prefixes = new Set(refs.filter((ref) => names.has(ref.name) && isShardPrefixOf(ref.prefix, prefix)).map((ref) => ref.prefix));
  return [...prefixes].sort();
}
