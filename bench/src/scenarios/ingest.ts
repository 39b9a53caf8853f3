import autocannon from 'autocannon';
import { createKeyring, parseIngestItem, prepareEvent } from '@capconnect/core';
import { JOB_NAME, Producer, createRedisConnection, jobOptions, toJobData } from '@capconnect/queue';
import type { Stack } from '@capconnect/cli';
import { startBenchProcess } from '../processes.js';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';
import { TEN_IDENTIFIER_EVENT } from './hash.js';

/**
 * Scenarios 2 and 3, information only: ingest throughput of the api against do-nothing baselines
 * on the same machine and Redis. The single-event baseline is express.json() + one queue.add of the
 * raw body; our request is routed to one destination (Meta) so both sides write one job per
 * request. These baselines skip the work the contract requires (validation, normalization, hashing,
 * sealing), so the ratio is no target: scenario 10 measures the api against a reference doing that
 * same work.
 */

export interface IngestOptions {
  rounds: number;
  roundS: number;
  connections: number;
  redisUrl: string;
}

let counter = 0;
const uniqueId = () => `bench-${process.pid}-${(counter += 1)}`;

function singleBody(): string {
  const id = uniqueId();
  return JSON.stringify({ ...TEN_IDENTIFIER_EVENT, event: { ...TEN_IDENTIFIER_EVENT.event, eventId: id, orderId: id }, destinations: ['meta'] });
}

interface Load {
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string>, body: () => string, options: { durationS: number; connections: number; overallRate?: number }): Promise<Load> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationS,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
  });
  return {
    requestsPerS: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export async function runSingleIngest(stack: Stack, options: IngestOptions): Promise<Result[]> {
  const baseline = await startBenchProcess('baseline-server', { REDIS_URL: options.redisUrl, BENCH_PREFIX: '{bench-baseline}' });
  try {
    const ours = { url: `${stack.apiUrl}/v1/collect`, headers: { 'x-capconnect-token': stack.webhookSecret } };
    const theirs = { url: `${baseline.url ?? ''}/collect`, headers: {} };
    const warm = { durationS: 2, connections: options.connections };
    await load(ours.url, ours.headers, singleBody, warm);
    await load(theirs.url, theirs.headers, singleBody, warm);
    const oursRounds: Load[] = [];
    const baseRounds: Load[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      oursRounds.push(await load(ours.url, ours.headers, singleBody, { durationS: options.roundS, connections: options.connections }));
      baseRounds.push(await load(theirs.url, theirs.headers, singleBody, { durationS: options.roundS, connections: options.connections }));
    }
    const bad = oursRounds.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
    const oursRps = summarize(oursRounds.map((r) => r.requestsPerS));
    const baseRps = summarize(baseRounds.map((r) => r.requestsPerS));
    // Latency at half of each side's own maximum rate: the latency a sized deployment sees.
    const halfOurs = await load(ours.url, ours.headers, singleBody, { durationS: options.roundS, connections: options.connections, overallRate: Math.max(1, Math.round(oursRps.median / 2)) });
    const halfBase = await load(theirs.url, theirs.headers, singleBody, { durationS: options.roundS, connections: options.connections, overallRate: Math.max(1, Math.round(baseRps.median / 2)) });
    const ratio = oursRps.median / baseRps.median;
    return [
      {
        scenario: '2 single ingest', metric: 'requests/s', unit: 'req/s', ours: oursRps, baseline: baseRps, ratio,
        note: `information (do-nothing baseline, no target); ${bad} non-2xx/errors; baseline: express.json + queue.add(raw body)`,
      },
      { scenario: '2 single ingest', metric: 'p50 latency at max', unit: 'ms', ours: summarize(oursRounds.map((r) => r.p50Ms)), baseline: summarize(baseRounds.map((r) => r.p50Ms)) },
      { scenario: '2 single ingest', metric: 'p99 latency at max', unit: 'ms', ours: summarize(oursRounds.map((r) => r.p99Ms)), baseline: summarize(baseRounds.map((r) => r.p99Ms)) },
      { scenario: '2 single ingest', metric: 'p50 latency at 50% rate', unit: 'ms', ours: summarize([halfOurs.p50Ms]), baseline: summarize([halfBase.p50Ms]) },
      { scenario: '2 single ingest', metric: 'p99 latency at 50% rate', unit: 'ms', ours: summarize([halfOurs.p99Ms]), baseline: summarize([halfBase.p99Ms]) },
    ];
  } finally {
    await baseline.stop();
  }
}

function batchBody(size: number): string {
  const items: string[] = [];
  for (let index = 0; index < size; index += 1) {
    const id = uniqueId();
    items.push(JSON.stringify({ ...TEN_IDENTIFIER_EVENT, event: { ...TEN_IDENTIFIER_EVENT.event, eventId: id, orderId: id }, destinations: ['meta'] }));
  }
  return `[${items.join(',')}]`;
}

/**
 * The api's worst event-loop delay since the previous scrape, in ms: prom-client samples it with
 * `perf_hooks.monitorEventLoopDelay` and resets the histogram on every scrape, so scraping before
 * and after a round gives that round's maximum.
 */
async function eventLoopMaxDelayMs(stack: Stack): Promise<number> {
  const text = await (await fetch(stack.api.metricsUrl)).text();
  const match = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1000;
}

/** Scenario 3: 1000-event batches through the api vs raw `addBulk` of the same sealed jobs. */
export async function runBatchIngest(stack: Stack, options: IngestOptions): Promise<Result[]> {
  const batchSize = 1000;
  const ours = { url: `${stack.apiUrl}/v1/collect/batch`, headers: { 'x-capconnect-token': stack.webhookSecret } };
  const connections = 2;
  await load(ours.url, ours.headers, () => batchBody(batchSize), { durationS: 2, connections });

  const keyring = createKeyring(stack.env.QUEUE_ENCRYPTION_KEY ?? '');
  const connection = createRedisConnection(options.redisUrl, 'producer', { commandTimeoutMs: 10_000 });
  const producer = new Producer({ connection, prefix: '{bench-addbulk}', keyring, policy: { maxAttempts: 5, completedRetentionS: 60, failedRetentionS: 60 } });
  await producer.awaitReady(5000);
  const nowMs = Date.now();
  const parsed = parseIngestItem({ ...TEN_IDENTIFIER_EVENT, destinations: ['meta'] }, { nowMs });
  if (!parsed.ok) throw new Error('benchmark event does not parse');
  const prepared = prepareEvent(parsed.item, { nowMs, defaultCallingCode: '81', meta: { enabled: true }, google: { enabled: false, actions: new Map() } }).prepared;
  const event = prepared[0];
  if (!event) throw new Error('no prepared event');
  // The same sealed job the api would write, built once: the baseline pays only for addBulk.
  const data = toJobData(event, keyring, Date.now());
  const policy = { maxAttempts: 5, completedRetentionS: 60, failedRetentionS: 60 };
  const rawAddBulk = async (durationS: number): Promise<number> => {
    const deadline = performance.now() + durationS * 1000;
    const started = performance.now();
    let events = 0;
    while (performance.now() < deadline) {
      const jobs = [];
      for (let index = 0; index < batchSize; index += 1) jobs.push({ name: JOB_NAME, data, opts: jobOptions('meta', uniqueId(), policy) });
      await producer.queues.meta.addBulk(jobs);
      events += batchSize;
    }
    return events / ((performance.now() - started) / 1000);
  };
  try {
    await rawAddBulk(2);
    const oursRounds: number[] = [];
    const baseRounds: number[] = [];
    const loopDelaysMs: number[] = [];
    let bad = 0;
    for (let round = 0; round < options.rounds; round += 1) {
      await eventLoopMaxDelayMs(stack);
      const result = await load(ours.url, ours.headers, () => batchBody(batchSize), { durationS: options.roundS, connections });
      loopDelaysMs.push(await eventLoopMaxDelayMs(stack));
      bad += result.non2xx + result.errors;
      oursRounds.push(result.requestsPerS * batchSize);
      baseRounds.push(await rawAddBulk(options.roundS));
    }
    const oursSummary = summarize(oursRounds);
    const baseSummary = summarize(baseRounds);
    const ratio = oursSummary.median / baseSummary.median;
    return [
      {
        scenario: '3 batch ingest', metric: 'events/s (1000-event batches)', unit: 'events/s', ours: oursSummary, baseline: baseSummary, ratio,
        note: `information (do-nothing baseline, no target); ${bad} non-2xx/errors; baseline: addBulk of the same sealed jobs from the harness`,
      },
      {
        scenario: '3 batch ingest', metric: 'worst event-loop delay in the api', unit: 'ms', ours: summarize(loopDelaysMs),
        note: 'per round, nodejs_eventloop_lag_max_seconds (monitorEventLoopDelay): how long a health check could wait behind a batch',
      },
    ];
  } finally {
    await producer.close();
    connection.disconnect();
  }
}
