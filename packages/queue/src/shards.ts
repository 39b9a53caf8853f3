import { createHash } from 'node:crypto';
import { QUEUE_PREFIX } from './queue-names.js';

/**
 * Queue shards (docs/architecture.md#shards): with `QUEUE_SHARDS=N` each provider queue becomes N
 * BullMQ queues, one per key prefix. On Redis Cluster every key of a BullMQ queue must share one
 * hash slot, so one queue can never use more than one master; N prefixes whose hash tags fall in
 * N evenly spaced slot ranges spread the queues over every master a cluster has.
 *
 * Shard 0 of 1 is the historical prefix `{capconnect}` itself, so a deployment that never sets
 * `QUEUE_SHARDS` keeps its keys. Why the tags are searched rather than configured:
 * docs/decisions.md#shard-hash-tags.
 */

/** Slots of a Redis Cluster (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/). */
export const CLUSTER_SLOTS = 16384;

/** Upper bound for the shard count (the same as `QUEUE_SHARDS` accepts, packages/config/src/shards.ts). */
export const MAX_QUEUE_SHARDS = 64;

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster maps keys to slots with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of `key`: only the part inside the first non-empty `{…}` counts, as in Redis. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key, 'utf8')) % CLUSTER_SLOTS;
}

/** `{capconnect}` → `capconnect`: the hash tag inside a brace-form prefix. */
function baseTag(prefix: string): string {
  const match = /^\{([^{}]+)\}$/.exec(prefix);
  if (!match?.[1]) throw new RangeError('queue prefix must be a hash tag such as {capconnect}');
  return match[1];
}

const cache = new Map<string, readonly string[]>();

/**
 * The N shard prefixes for a base prefix. One shard keeps the base prefix. Otherwise shard i is
 * `{<base>-<i>-<k>}` with the smallest k whose slot falls in the middle half of the i-th of N
 * equal slot ranges: deterministic (every api and worker computes the same list), spread evenly
 * over masters that split the slots evenly (what `redis-cli --cluster create` and the managed
 * services do), and clear of range edges so a master boundary rounded one slot either way does
 * not move a shard to the neighbouring master.
 */
export function shardPrefixes(count: number, prefix: string = QUEUE_PREFIX): readonly string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_QUEUE_SHARDS) {
    throw new RangeError(`queue shard count must be an integer from 1 to ${MAX_QUEUE_SHARDS}`);
  }
  const base = baseTag(prefix);
  if (count === 1) return [prefix];
  const cacheKey = `${count}:${base}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const prefixes = Array.from({ length: count }, (_, index) => {
    const width = CLUSTER_SLOTS / count;
    const low = index * width + width / 4;
    const high = (index + 1) * width - width / 4;
    for (let attempt = 0; ; attempt += 1) {
      const tag = `${base}-${index}-${attempt}`;
      const slot = keySlot(tag);
      if (slot >= low && slot < high) return `{${tag}}`;
    }
  });
  cache.set(cacheKey, prefixes);
  return prefixes;
}

/** True when `candidate` is `prefix` itself or one of its shard prefixes for any shard count. */
export function isShardPrefixOf(candidate: string, prefix: string = QUEUE_PREFIX): boolean {
  if (candidate === prefix) return true;
  const base = baseTag(prefix);
  return candidate.startsWith(`{${base}-`) && /^-\d+-\d+\}$/.test(candidate.slice(base.length + 1));
}

/**
 * The shard of a job, from the event digest its id carries (`<provider>-<sha256 hex>`, job-id.ts):
 * the same shard as `shardOfEvent` of its event id.
 */
export function shardOfJobId(jobId: string, count: number): number {
  if (count === 1) return 0;
  const digest = jobId.slice(jobId.indexOf('-') + 1, jobId.indexOf('-') + 9);
  if (!/^[0-9a-f]{8}$/.test(digest)) throw new RangeError('not a delivery job id');
  return Number.parseInt(digest, 16) % count;
}

/**
 * The shard of an event: its event id's SHA-256 (the digest the job id carries) modulo N. Both
 * providers' jobs of an event, and every re-send of it, land in the same shard, where the job id
 * still deduplicates them.
 */
export function shardOfEvent(eventId: string, count: number): number {
  if (count === 1) return 0;
  return shardOfEventHash(createHash('sha256').update(eventId, 'utf8').digest(), count);
}

/** `shardOfEvent` from the event id's SHA-256 already computed (for callers that need the hash too). */
export function shardOfEventHash(sha256: Buffer, count: number): number {
  return sha256.readUInt32BE(0) % count;
}
