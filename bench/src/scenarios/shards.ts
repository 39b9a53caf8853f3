import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, type Stack } from '@capconnect/cli';
import { startRedisCluster, type PrivateRedisCluster } from '@capconnect/testkit/redis-cluster';
import { startPrivateRedis, type PrivateRedis } from '@capconnect/testkit/redis-server';
import { Redis } from 'ioredis';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';
import { TEN_IDENTIFIER_EVENT } from './hash.js';

/**
 * Scenario 9: the same ingest + dispatch load (batches posted to the api while workers deliver to
 * the sandbox, both providers) on one shard on one Redis, and on `shards` shards on a 3-master
 * Redis Cluster. Reports end-to-end events/s, Redis CPU per event per node (from `INFO cpu`
 * deltas, the figure that says how many masters a rate needs), and how evenly the keys spread
 * over the masters. On a shared 2-core machine every Redis competes with the api, the workers and
 * the load generator for the same cores, so the absolute rate cannot show the cluster's gain;
 * the per-node CPU can.
 */

export interface ShardScenarioOptions {
  rounds: number;
  events: number;
  shards: number;
  workers: number;
}

interface Setup {
  name: string;
  stack: Stack;
  /** Ports of the Redis nodes that hold data (masters). */
  nodePorts(): Promise<number[]>;
  dispose(): Promise<void>;
}

let counter = 0;
const BATCH = 500;
const IN_FLIGHT = 2;

function batchBody(size: number): string {
  const items = Array.from({ length: size }, () => {
    const id = `shards-${process.pid}-${(counter += 1)}`;
    return { ...TEN_IDENTIFIER_EVENT, event: { ...TEN_IDENTIFIER_EVENT.event, eventId: id, orderId: id, gclid: `Cj0K${id}` }, consent: { adUserData: 'granted' } };
  });
  return JSON.stringify(items);
}

async function cpuSeconds(port: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    const info = await client.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return field('used_cpu_sys') + field('used_cpu_user');
  } finally {
    client.disconnect();
  }
}

async function keyCount(port: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

async function stackOn(redisUrl: string, shards: number, workers: number): Promise<Stack> {
  return startStack({
    redisUrl, workers, sandbox: { maxRecordedEvents: 0 },
    env: { LOG_LEVEL: 'warn', QUEUE_SHARDS: String(shards), COMPLETED_RETENTION_S: '3600' },
  });
}

async function singleRedis(workers: number): Promise<Setup> {
  const redis: PrivateRedis = await startPrivateRedis();
  const stack = await stackOn(redis.url, 1, workers).catch(async (error: unknown) => { await redis.dispose(); throw error; });
  return { name: '1 shard, one Redis', stack, nodePorts: () => Promise.resolve([redis.port]), dispose: async () => { await stack.stop(); await redis.dispose(); } };
}

async function cluster(shards: number, workers: number): Promise<Setup> {
  const redis: PrivateRedisCluster = await startRedisCluster({ masters: 3 });
  const stack = await stackOn(redis.url, shards, workers).catch(async (error: unknown) => { await redis.dispose(); throw error; });
  return {
    name: `${shards} shards, 3-master cluster`, stack,
    nodePorts: async () => (await redis.masters()).map((master) => master.port),
    dispose: async () => { await stack.stop(); await redis.dispose(); },
  };
}

interface Round {
  eventsPerS: number;
  /** Batches answered 503 and sent again. */
  retried: number;
  cpuUsPerEvent: number[];
  keys: number[];
}

/** Posts `events` in batches (IN_FLIGHT at a time) and waits until both providers accepted them all. */
async function round(setup: Setup, events: number): Promise<Round> {
  const sandbox = setup.stack.sandbox?.control;
  if (!sandbox) throw new Error('the shard scenario needs the sandbox');
  const ports = await setup.nodePorts();
  const cpuBefore = await Promise.all(ports.map(cpuSeconds));
  // The stack delivers Google through the Data Manager API (its default): its fake counts those, not
  // the Google Ads fake, which sees nothing here.
  const accepted = () => Math.min(sandbox.stats('meta').accepted, sandbox.dataManagerStats().accepted);
  const start = accepted();
  const bodies = Array.from({ length: Math.ceil(events / BATCH) }, (_, index) => batchBody(Math.min(BATCH, events - index * BATCH)));
  const started = performance.now();
  let next = 0;
  let retried = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    for (let body = bodies[next]; body !== undefined; body = bodies[next]) {
      next += 1;
      // Like an integrator: a 503 (Redis slower than the api's 1 s deadline on these shared cores)
      // means "not stored, retry"; the re-send is deduplicated by the job ids.
      for (let attempt = 0; ; attempt += 1) {
        const response = await fetch(`${setup.stack.apiUrl}/v1/collect/batch`, {
          method: 'POST', body, headers: { 'content-type': 'application/json', 'x-capconnect-token': setup.stack.webhookSecret },
        });
        await response.arrayBuffer();
        if (response.status === 202) break;
        if (response.status !== 503 || attempt >= 10) throw new Error(`ingest answered ${response.status}`);
        retried += 1;
        await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
      }
    }
  }));
  const deadline = Date.now() + 300_000;
  while (accepted() - start < events) {
    if (Date.now() > deadline) throw new Error('timed out waiting for delivery');
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = await Promise.all(ports.map(cpuSeconds));
  return {
    eventsPerS: events / seconds,
    retried,
    cpuUsPerEvent: cpuAfter.map((after, index) => ((after - (cpuBefore[index] ?? 0)) / events) * 1e6),
    keys: await Promise.all(ports.map(keyCount)),
  };
}

export async function runShardScenario(options: ShardScenarioOptions): Promise<Result[]> {
  const single = await singleRedis(options.workers);
  let sharded: Setup | undefined;
  try {
    sharded = await cluster(options.shards, options.workers);
    // Warm-up: JIT and connection pools, not measured.
    await round(single, 2000);
    await round(sharded, 2000);
    const singleRounds: Round[] = [];
    const shardedRounds: Round[] = [];
    for (let index = 0; index < options.rounds; index += 1) {
      singleRounds.push(await round(single, options.events));
      shardedRounds.push(await round(sharded, options.events));
    }
    const last = shardedRounds.at(-1);
    const perNodeCpu = (rounds: Round[]) => summarize(rounds.map((r) => Math.max(...r.cpuUsPerEvent)));
    const totalCpu = (rounds: Round[]) => summarize(rounds.map((r) => r.cpuUsPerEvent.reduce((a, b) => a + b, 0)));
    const keys = last?.keys ?? [];
    const workers = `${options.workers} worker process${options.workers === 1 ? '' : 'es'}`;
    return [
      {
        scenario: '9 shards', metric: `events/s ingest + dispatch, both providers (${workers})`, unit: 'events/s',
        ours: summarize(shardedRounds.map((r) => r.eventsPerS)), baseline: summarize(singleRounds.map((r) => r.eventsPerS)),
        ratio: summarize(shardedRounds.map((r) => r.eventsPerS)).median / summarize(singleRounds.map((r) => r.eventsPerS)).median,
        note: `ours: ${sharded.name}; baseline: ${single.name}. Every process shares the same 2 cores, so this cannot show the cluster's gain. `
          + `Batches answered 503 and re-sent: ${shardedRounds.map((r) => r.retried).join('/')} vs ${singleRounds.map((r) => r.retried).join('/')}`,
      },
      {
        scenario: '9 shards', metric: 'Redis CPU per event on the busiest node', unit: 'µs/event',
        ours: perNodeCpu(shardedRounds), baseline: perNodeCpu(singleRounds), ratio: perNodeCpu(shardedRounds).median / perNodeCpu(singleRounds).median,
        note: `per-master figures, last round: ${last?.cpuUsPerEvent.map((us) => us.toFixed(0)).join(' / ') ?? '-'} µs; a master saturates near 1e6 / this events/s`,
      },
      {
        scenario: '9 shards', metric: 'Redis CPU per event, all nodes together', unit: 'µs/event',
        ours: totalCpu(shardedRounds), baseline: totalCpu(singleRounds), ratio: totalCpu(shardedRounds).median / totalCpu(singleRounds).median,
        note: 'the cost of the cluster protocol and of more, smaller queues',
      },
      {
        scenario: '9 shards', metric: 'keys per master, max / min', unit: 'ratio',
        ours: summarize(shardedRounds.map((r) => Math.max(...r.keys) / Math.max(1, Math.min(...r.keys)))),
        note: `keys per master after the last round: ${keys.join(' / ')}`,
      },
    ];
  } finally {
    await sharded?.dispose();
    await single.dispose();
  }
}
