import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { googleApisUnderTest, expectExactlyOnce, expectNoCanaries, postPaced, report, startReliabilityStack, waitForDelivery, type ReliabilityStack } from './harness.js';
import { seededRandom } from './random.js';

/**
 * Worker crashes: 20,000 events posted in batches of 500 while two worker processes deliver them;
 * a worker is SIGKILLed five times at random moments and a fresh one started each time. BullMQ's
 * stalled-job check must hand the killed process's jobs to a live one: every acknowledged event
 * accepted exactly once by each provider (re-sends only as provider dedups), nothing failed.
 */

const TOTAL = 20_000;
const KILLS = 5;
let r: ReliabilityStack | undefined;
afterEach(async () => { await r?.dispose(); r = undefined; });

describe.each(googleApisUnderTest())('worker crashes (Google through %s)', (googleApi) => {
  it(`${TOTAL} events, ${KILLS} SIGKILLs of a worker mid-flow: each event delivered once per provider`, async () => {
    const { random, seed } = seededRandom();
    r = await startReliabilityStack({ googleApi, workers: 2 });
    const { stack, client } = r;
    const started = Date.now();
    // 40 batches, one every 500 ms: the flow lasts ~20 s, and the kills land inside it.
    const postingMs = (TOTAL / 500) * 500;
    const posting = postPaced(client, { prefix: `crash-${randomBytes(3).toString('hex')}`, total: TOTAL, batchSize: 500, intervalMs: 500 });
    const killAt = Array.from({ length: KILLS }, () => 1000 + random() * (postingMs - 1000)).sort((a, b) => a - b);
    const kills: { atMs: number; worker: string; deliveredBefore: number }[] = [];
    for (const atMs of killAt) {
      await sleep(Math.max(0, started + atMs - Date.now()));
      const live = stack.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
      const victim = live[Math.floor(random() * live.length)];
      if (!victim) throw new Error('no live worker to kill');
      kills.push({ atMs: Date.now() - started, worker: victim.name, deliveredBefore: r.sandbox.stats('meta').accepted });
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      await stack.startWorker();
    }
    await posting;
    const postedMs = Date.now() - started;
    const statuses = Object.fromEntries(client.statusCounts);
    // A 503 under CPU contention (the producer's short Redis command timeout) is allowed and retried; nothing else.
    expect(Object.keys(statuses).filter((status) => status !== '202' && status !== '503'), JSON.stringify(statuses)).toEqual([]);
    expect(client.acknowledged.size, JSON.stringify(statuses)).toBe(TOTAL);

    // Jobs held by a killed process come back after its locks expire (lockDuration 30 s) and a
    // surviving worker's stalled check (every 30 s) sees them: up to ~60 s after the last kill.
    const drainMs = await waitForDelivery(r, 150_000);
    const dedups = await expectExactlyOnce(r);
    const scan = await expectNoCanaries(r);
    report('worker crashes', {
      seed, events: TOTAL, statuses, kills, postedMs, drainAfterPostingMs: drainMs, totalMs: Date.now() - started,
      ...dedups, metaRequests: r.sandbox.stats('meta').requests, googleRequests: r.google.stats().requests, ...scan,
    });
  }, 240_000);
});
