import { randomBytes } from 'node:crypto';
import { runCli } from '@capconnect/cli';
import { keySlot, shardOfEvent } from '@capconnect/queue';
import { captureIo, type PrivateRedisCluster } from '@capconnect/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canaryEvent, expectExactlyOnce, expectNoCanaries, queueCounts, waitForDelivery, waitUntil, startClusterReliabilityStack, type ReliabilityStack,
} from '../reliability/harness.js';

/**
 * The whole stack (api and worker processes from the build) on a private 3-master Redis Cluster
 * with `QUEUE_SHARDS=6`: jobs spread over every master, re-sends deduplicated, status lookups find
 * the event's shard, the dead-letter queue of every shard replays, and delivery goes on while a
 * shard's slot moves to another master.
 */

const SHARDS = 6;
const EVENTS = 3000;
let r: ReliabilityStack<PrivateRedisCluster> | undefined;
afterAll(async () => { await r?.dispose(); });

interface ShardCounts { shard: string; prefix: string; meta: Record<string, number>; google: Record<string, number> }
interface EventStatus { destinations: { provider: string; state: string }[] }

async function cli(argv: string[], redisUrl: string): Promise<{ code: number; stdout: string }> {
  const io = captureIo();
  const code = await runCli([...argv, '--redis-url', redisUrl], io, { QUEUE_SHARDS: String(SHARDS) });
  return { code, stdout: io.stdout() };
}

async function states(stack: ReliabilityStack<PrivateRedisCluster>, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => {
    const { status, body } = await stack.client.getStatus(id);
    return status === 200 ? (body as EventStatus).destinations.map((d) => `${d.provider}:${d.state}`).sort().join(',') : String(status);
  }));
}

describe('sharded queues on a 3-master Redis Cluster', () => {
  it(`${EVENTS} events on ${SHARDS} shards: spread, deduplicated, found, replayed, delivered once through a slot move`, async () => {
    r = await startClusterReliabilityStack({
      workers: 0, cluster: { masters: 3 },
      env: { QUEUE_SHARDS: String(SHARDS), RETRY_MAX_ATTEMPTS: '1', META_BATCH_MAX: '100', GOOGLE_BATCH_MAX: '100' },
    });
    const stack = r;
    const prefix = `sharded-${randomBytes(3).toString('hex')}`;
    const post = async (from: number, count: number) => {
      for (let start = from; start < from + count; start += 500) {
        const result = await stack.client.postBatch(Array.from({ length: 500 }, (_, i) => canaryEvent(`${prefix}-${start + i}`, start + i)));
        expect(result.status).toBe(202);
      }
    };

    // No worker yet: every job waits on the shard its event id routes to.
    await post(0, EVENTS);
    expect(stack.client.acknowledged.size).toBe(EVENTS);
    const stats = await cli(['stats', '--json'], stack.redis.url);
    expect(stats.code).toBe(0);
    const perShard = (JSON.parse(stats.stdout) as { shards: ShardCounts[] }).shards;
    expect(perShard).toHaveLength(SHARDS);
    for (const [index, shard] of perShard.entries()) {
      const expected = Array.from({ length: EVENTS }, (_, i) => `${prefix}-${i}`).filter((id) => shardOfEvent(id, SHARDS) === index).length;
      expect(shard.meta['waiting']).toBe(expected);
      expect(shard.google['waiting']).toBe(expected);
    }
    const masters = await stack.redis.masters();
    const waitingPerMaster = masters.map((master) => perShard
      .filter((shard) => master.slots.some(([first, last]) => keySlot(shard.prefix) >= first && keySlot(shard.prefix) <= last))
      .reduce((sum, shard) => sum + (shard.meta['waiting'] ?? 0) + (shard.google['waiting'] ?? 0), 0));
    for (const waiting of waitingPerMaster) expect(waiting / (2 * EVENTS)).toBeGreaterThanOrEqual(0.15);

    // Re-sends meet their first copy in the same shard.
    const again = await stack.client.postBatch(Array.from({ length: 500 }, (_, i) => canaryEvent(`${prefix}-${i}`, i)));
    const answers = (again.body as { results: { status: string }[] }).results.map((entry) => entry.status);
    expect(new Set(answers)).toEqual(new Set(['duplicate']));
    const sample = Array.from({ length: 12 }, (_, i) => `${prefix}-${i * 250}`);
    expect(new Set(await states(stack, sample))).toEqual(new Set(['google:queued,meta:queued']));

    // Meta refuses everything: with one attempt, every Meta job dead-letters in its shard.
    stack.sandbox.addFault({ provider: 'meta', kind: 'http-503', ratio: 1 });
    await stack.stack.startWorker();
    await stack.stack.startWorker();
    await waitUntil('Meta jobs dead-lettered, Google delivered', async () =>
      (await queueCounts(stack.redis.url)).meta['failed'] === EVENTS && stack.google.stats().accepted === EVENTS, 60_000);
    expect(new Set(await states(stack, sample))).toEqual(new Set(['google:sent,meta:failed']));
    stack.sandbox.clearFaults();

    // More traffic while shard 0's slot moves to another master; the replay walks every shard.
    const slot = keySlot(perShard[0]?.prefix ?? '');
    const owner = masters.find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
    const destination = masters.find((master) => master !== owner);
    if (!destination) throw new Error('no destination master');
    const moving = stack.redis.migrateSlot(slot, destination.port, { keysPerStep: 20, pauseMs: 5 });
    await post(EVENTS, 1000);
    const { movedKeys } = await moving;
    expect(movedKeys).toBeGreaterThan(0);
    const replay = await cli(['replay', '--provider', 'meta', '--json'], stack.redis.url);
    expect(replay.code).toBe(0);

    await waitForDelivery(stack, 60_000);
    await expectExactlyOnce(stack);
    expect(new Set(await states(stack, sample))).toEqual(new Set(['google:sent,meta:sent']));
    await expectNoCanaries(stack);
  }, 110_000);
});
