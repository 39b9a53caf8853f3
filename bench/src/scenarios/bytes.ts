import { setTimeout as sleep } from 'node:timers/promises';
import { PROVIDERS } from '@capconnect/core';
import { QUEUE_PREFIX } from '@capconnect/queue';
import { SERVICE_NODE_FLAGS, type Stack } from '@capconnect/cli';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startBenchProcess } from '../processes.js';
import { realisticBatchBody } from '../realistic.js';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';

/**
 * Scenario 11 (`--only=bytes`): Redis memory per queued job. On the bench's private Redis (stock
 * settings, no persistence) with no worker running, each round empties the queues, waits for Redis
 * to settle, posts `events` realistic events (full browser user agent, both destinations, so two
 * jobs each) to the api's `/v1/collect/batch` in one request, waits again, and divides the growth of
 * `used_memory` by the jobs written: everything BullMQ and the api keep is counted (job hashes, the
 * wait lists, the event streams, the api's own keys). The same bodies posted to the same-work
 * reference (`src/reference-server.ts`: the same job data through plain BullMQ) are the baseline,
 * as information. Target <= 1 KB (1,024 bytes) per job.
 */

export interface BytesOptions {
  rounds: number;
  events: number;
  redisUrl: string;
}

const REFERENCE_PREFIX = '{bench-reference}';

async function usedMemory(redis: Redis): Promise<number> {
  const match = /^used_memory:(\d+)\r?$/m.exec(await redis.info('memory'));
  if (!match?.[1]) throw new Error('Redis INFO memory has no used_memory');
  return Number(match[1]);
}

/** `used_memory` once it stops moving (buffers released, lazy frees done): two readings 250 ms apart within 256 bytes. */
async function settledMemory(redis: Redis): Promise<number> {
  let previous = await usedMemory(redis);
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await sleep(250);
    const current = await usedMemory(redis);
    if (Math.abs(current - previous) <= 256) return current;
    previous = current;
  }
  return previous;
}

export async function runRedisBytes(stack: Stack, options: BytesOptions): Promise<Result[]> {
  // The api's own environment (providers, key, defaults), so both prepare and queue events alike.
  const reference = await startBenchProcess('reference-server', { ...stack.env, REDIS_URL: options.redisUrl, BENCH_PREFIX: REFERENCE_PREFIX }, SERVICE_NODE_FLAGS.api);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const queues = [QUEUE_PREFIX, REFERENCE_PREFIX].flatMap((prefix) => PROVIDERS.map((provider) => new Queue(provider, { connection: redis, prefix })));
  const empty = () => Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
  const sides = [
    { name: 'ours' as const, url: `${stack.apiUrl}/v1/collect/batch`, headers: { 'x-capconnect-token': stack.webhookSecret } },
    { name: 'reference' as const, url: `${reference.url ?? ''}/v1/collect/batch`, headers: {} },
  ];
  let retries = 0;
  /**
   * Posts the batch and returns the jobs the server reports as written. A 503 (Redis slower than the
   * api's command timeout on a busy machine) is retried with the same body, as a client would: job
   * ids are fixed, so a retry stores nothing twice.
   */
  const post = async (side: (typeof sides)[number], body: string): Promise<number> => {
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(side.url, { method: 'POST', headers: { 'content-type': 'application/json', ...side.headers }, body });
      if (response.status === 503 && attempt < 3) {
        retries += 1;
        await response.arrayBuffer();
        continue;
      }
      if (response.status !== 202) throw new Error(`${side.name}: /v1/collect/batch answered ${response.status}`);
      const reply = await response.json() as { results: { destinations?: unknown[] }[] };
      return reply.results.reduce((sum, result) => sum + (result.destinations?.length ?? 0), 0);
    }
  };
  try {
    const perJob = { ours: [] as number[], reference: [] as number[] };
    // Round -1 is a warm-up (connections, scripts loaded, queue keys created), not measured.
    for (let round = -1; round < options.rounds; round += 1) {
      for (const side of sides) {
        const body = realisticBatchBody(0, round < 0 ? 20 : options.events, `bytes-${round}`);
        await empty();
        const before = await settledMemory(redis);
        const jobs = await post(side, body);
        const after = await settledMemory(redis);
        if (round < 0) continue;
        if (jobs !== options.events * 2) throw new Error(`${side.name} wrote ${jobs} jobs for ${options.events} events, expected two each`);
        perJob[side.name].push((after - before) / jobs);
      }
    }
    const ours = summarize(perJob.ours);
    const baseline = summarize(perJob.reference);
    return [{
      scenario: '11 redis bytes', metric: `used_memory growth per queued job (${options.events} events, ${options.events * 2} jobs, no worker)`, unit: 'bytes/job',
      ours, baseline, ratio: ours.median / baseline.median, target: '<= 1,024 bytes/job', pass: ours.median <= 1024,
      note: `Redis used_memory after minus before, settled, on an emptied queue; baseline (information): the same jobs through the same-work reference; ${retries} 503 retries`,
    }];
  } finally {
    await empty().catch(() => undefined);
    await Promise.all(queues.map((queue) => queue.close()));
    redis.disconnect();
    await reference.stop();
  }
}
