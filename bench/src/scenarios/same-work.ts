import autocannon from 'autocannon';
import { PROVIDERS } from '@capconnect/core';
import { QUEUE_PREFIX, createRedisConnection } from '@capconnect/queue';
import { SERVICE_NODE_FLAGS, type Stack } from '@capconnect/cli';
import { Queue } from 'bullmq';
import { cpuMicros, startBenchProcess } from '../processes.js';
import { realisticBatchBody, realisticEvent } from '../realistic.js';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';

/**
 * Scenario 10: ingest against the same-work reference (`src/reference-server.ts`): the api and the
 * reference take exactly the same bodies (realistic events, both destinations, two jobs each) in
 * alternating rounds, ours first; each round posts a fixed number of requests, so both sides do the
 * same work and every request of the round completes inside the CPU window. Before every side's
 * round both sides' queues are emptied (no worker runs), so neither pays for the other's backlog.
 * Reported: events/s (target >= 0.90 of the reference, single events and 1,000-event batches) and
 * the CPU per event of the api and of the reference from /proc.
 */

export interface SameWorkOptions {
  rounds: number;
  /** Seconds a round should take at the api's warm-up rate (the request count is fixed from it). */
  roundS: number;
  redisUrl: string;
}

const REFERENCE_PREFIX = '{bench-reference}';
const BATCH_SIZE = 1000;
/** Concurrent connections: as scenarios 2 (single) and 3 (batch). */
const SINGLE_CONNECTIONS = 32;
const BATCH_CONNECTIONS = 2;

interface Side {
  name: 'ours' | 'reference';
  url: string;
  headers: Record<string, string>;
  pid: number | undefined;
}

interface Round {
  eventsPerS: number;
  cpuUsPerEvent: number;
  p99Ms: number;
  bad: number;
  /** Answers other than 2xx, by status code. */
  refused: Record<string, number>;
}

/**
 * Posts every body once (the n-th request carries `bodies[n]`) and measures throughput and the
 * server's CPU from the first request to the last response. Bodies are serialized before the clock
 * starts, so the harness's own work during the round is autocannon alone. The clock stops at the
 * last response, not when autocannon returns: with `amount` it only finishes on its next 1-second
 * tick.
 */
async function postRound(side: Side, bodies: readonly string[], connections: number, eventsPerRequest: number): Promise<Round> {
  let sent = 0;
  let answered = 0;
  let finished: { atMs: number; cpuUs: number | undefined } | undefined;
  const cpuBefore = cpuMicros(side.pid);
  const started = performance.now();
  const result = await autocannon({
    url: side.url,
    method: 'POST',
    connections,
    amount: bodies.length,
    timeout: 60,
    headers: { 'content-type': 'application/json', ...side.headers },
    requests: [{
      setupRequest: (request) => ({ ...request, body: bodies[(sent += 1) - 1] ?? bodies[0] ?? '' }),
      onResponse: () => {
        answered += 1;
        if (answered === bodies.length) finished = { atMs: performance.now(), cpuUs: cpuMicros(side.pid) };
      },
    }],
  });
  const end = finished ?? { atMs: performance.now(), cpuUs: cpuMicros(side.pid) };
  const events = result['2xx'] * eventsPerRequest;
  const cpuUs = end.cpuUs === undefined || cpuBefore === undefined ? Number.NaN : end.cpuUs - cpuBefore;
  return {
    eventsPerS: events / ((end.atMs - started) / 1000), cpuUsPerEvent: cpuUs / events, p99Ms: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
    refused: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2')).map(([code, stats]) => [code, stats.count ?? 0])),
  };
}

export async function runSameWork(stack: Stack, options: SameWorkOptions): Promise<Result[]> {
  // The api's own environment (providers, key, defaults), so both prepare and queue events alike.
  const reference = await startBenchProcess('reference-server', { ...stack.env, REDIS_URL: options.redisUrl, BENCH_PREFIX: REFERENCE_PREFIX }, SERVICE_NODE_FLAGS.api);
  const connection = createRedisConnection(options.redisUrl, 'producer', { commandTimeoutMs: 60_000 });
  const queues = [QUEUE_PREFIX, REFERENCE_PREFIX].flatMap((prefix) => PROVIDERS.map((provider) => new Queue(provider, { connection, prefix })));
  const empty = () => Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
  /** Jobs waiting on one side's queues: a round must leave exactly two per event. */
  const waiting = async (prefix: string) => {
    const counts = await Promise.all(queues.filter((queue) => queue.opts.prefix === prefix).map((queue) => queue.getWaitingCount()));
    return counts.reduce((sum, count) => sum + count, 0);
  };
  const prefixOf = { ours: QUEUE_PREFIX, reference: REFERENCE_PREFIX } as const;
  let missingJobs = 0;
  const ours: Side = { name: 'ours', url: stack.apiUrl, headers: { 'x-capconnect-token': stack.webhookSecret }, pid: stack.api.child.pid };
  const theirs: Side = { name: 'reference', url: reference.url ?? '', headers: {}, pid: reference.child.pid };
  try {
    const results: Result[] = [];
    for (const shape of ['single', 'batch'] as const) {
      const single = shape === 'single';
      const path = single ? '/v1/collect' : '/v1/collect/batch';
      const connections = single ? SINGLE_CONNECTIONS : BATCH_CONNECTIONS;
      const perRequest = single ? 1 : BATCH_SIZE;
      // Every round's n-th body is the same for both sides; rounds (and the warm-up) use their own ids.
      const bodiesOf = (round: number, requests: number) => Array.from({ length: requests }, (_, n) => (single
        ? JSON.stringify(realisticEvent(n, `sw-${round}`))
        : realisticBatchBody(n * BATCH_SIZE, BATCH_SIZE, `swb-${round}`)));
      // Warm-up (JIT, connections, Redis scripts) on both sides; the api's rate sizes the rounds.
      const warmRequests = single ? 2000 : 6;
      await empty();
      const warmBodies = bodiesOf(-1, warmRequests);
      const warm = await postRound({ ...ours, url: `${ours.url}${path}` }, warmBodies, connections, perRequest);
      await empty();
      await postRound({ ...theirs, url: `${theirs.url}${path}` }, warmBodies, connections, perRequest);
      const requests = Math.max(single ? 500 : 4, Math.round((warm.eventsPerS * options.roundS) / perRequest));
      const rounds: Record<Side['name'], Round[]> = { ours: [], reference: [] };
      for (let round = 0; round < options.rounds; round += 1) {
        const bodies = bodiesOf(round, requests);
        for (const side of [ours, theirs]) {
          await empty();
          rounds[side.name].push(await postRound({ ...side, url: `${side.url}${path}` }, bodies, connections, perRequest));
          missingJobs += Math.abs(requests * perRequest * 2 - (await waiting(prefixOf[side.name])));
        }
      }
      const refused = (side: Side['name']) => {
        const total = new Map<string, number>();
        for (const round of rounds[side]) for (const [code, count] of Object.entries(round.refused)) total.set(code, (total.get(code) ?? 0) + count);
        return total.size === 0 ? 'none' : [...total].map(([code, count]) => `${count}x ${code}`).join(', ');
      };
      const bad = [...rounds.ours, ...rounds.reference].reduce((sum, round) => sum + round.bad, 0) + missingJobs;
      missingJobs = 0;
      const rate = (side: Side['name']) => summarize(rounds[side].map((round) => round.eventsPerS));
      const cpu = (side: Side['name']) => summarize(rounds[side].map((round) => round.cpuUsPerEvent));
      const ratioRounds = summarize(rounds.ours.map((round, index) => round.eventsPerS / (rounds.reference[index]?.eventsPerS ?? Number.NaN)));
      const ratio = rate('ours').median / rate('reference').median;
      const label = single ? `single events (${connections} connections)` : `${BATCH_SIZE}-event batches (${connections} in flight)`;
      const events = requests * perRequest;
      results.push(
        {
          scenario: `10 same-work ${shape}`, metric: `events/s, ${label}`, unit: 'events/s', ours: rate('ours'), baseline: rate('reference'), ratio, ratioRounds,
          target: '>= 0.90 x reference', pass: ratio >= 0.9 && bad === 0,
          note: `${bad} non-2xx/errors/missing jobs (non-2xx ours: ${refused('ours')}; reference: ${refused('reference')}); ${options.rounds} alternating rounds of ${events} realistic events (2 jobs each) per side; reference: src/reference-server.ts with the api's Node flags`,
        },
        {
          scenario: `10 same-work ${shape}`, metric: 'api CPU per event (/proc utime+stime)', unit: 'µs/event', ours: cpu('ours'), baseline: cpu('reference'),
          ratio: cpu('ours').median / cpu('reference').median, note: 'server process only, over each round; baseline: the reference process',
        },
      );
      if (single) {
        results.push({
          scenario: '10 same-work single', metric: 'p99 latency at max', unit: 'ms',
          ours: summarize(rounds.ours.map((round) => round.p99Ms)), baseline: summarize(rounds.reference.map((round) => round.p99Ms)),
        });
      }
    }
    return results;
  } finally {
    await empty().catch(() => undefined);
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
    await reference.stop();
  }
}
