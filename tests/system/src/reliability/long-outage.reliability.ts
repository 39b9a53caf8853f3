import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '@capconnect/cli';
import { captureIo } from '@capconnect/testkit';
import {
  googleApisUnderTest,
  canaryEvent, expectExactlyOnce, expectNoCanaries, metricValue, metricsText, queueCounts, report, startReliabilityStack, waitForDelivery, waitUntil,
  type ReliabilityStack,
} from './harness.js';

/**
 * Long outage: Meta answers 503 to every request for longer than the retry budget (3 attempts,
 * 100–300 ms apart). Every Meta job must end in the dead-letter queue with reason `meta_2` (the
 * Graph code of Meta's 503), Google must deliver meanwhile (fault isolation), the status route must
 * say `failed` with the reason; once Meta is back, `capconnect replay` delivers them all, once.
 */

const EVENTS = 1000;
const REASON = 'meta_2';
let r: ReliabilityStack | undefined;
afterEach(async () => { await r?.dispose(); r = undefined; });

async function cli(argv: string[], redisUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const code = await runCli([...argv, '--redis-url', redisUrl], io, {});
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

interface StatusBody { destinations: { provider: string; state: string; attempts: number; reason?: string }[] }

describe.each(googleApisUnderTest())('long outage (Google through %s)', (googleApi) => {
  it('a provider down past the retry budget: dead-letter queue with the reason, then replay delivers', async () => {
    r = await startReliabilityStack({ googleApi,
      workers: 1,
      env: { RETRY_MAX_ATTEMPTS: '3', RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '300', META_BATCH_MAX: '100' },
    });
    const stack = r;
    const started = Date.now();
    stack.sandbox.addFault({ provider: 'meta', kind: 'http-503', ratio: 1 });
    const prefix = `outage-${randomBytes(3).toString('hex')}`;
    for (let start = 0; start < EVENTS; start += 500) {
      const result = await stack.client.postBatch(Array.from({ length: 500 }, (_, i) => canaryEvent(`${prefix}-${start + i}`, start + i)));
      expect(result.status).toBe(202);
    }
    expect(stack.client.acknowledged.size).toBe(EVENTS);

    const deadLetteredMs = await waitUntil(`${EVENTS} Meta jobs in the dead-letter queue`, async () => (await queueCounts(stack.redis.url)).meta['failed'] === EVENTS, 60_000);
    // Google never waited for Meta.
    expect(stack.google.stats().accepted).toBe(EVENTS);
    expect(stack.sandbox.stats('meta').accepted).toBe(0);

    const list = await cli(['failed', 'list', '--provider', 'meta', '--json', '--limit', String(EVENTS * 2)], stack.redis.url);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { reason: string; httpStatus?: number; attempts: number; eventId?: string }[];
    expect(rows).toHaveLength(EVENTS);
    expect(new Set(rows.map((row) => row.reason))).toEqual(new Set([REASON]));
    expect(new Set(rows.map((row) => row.httpStatus))).toEqual(new Set([503]));
    expect(new Set(rows.map((row) => row.attempts))).toEqual(new Set([3]));
    stack.client.responses.push(list.stdout, list.stderr);

    const sampleId = `${prefix}-7`;
    const failedStatus = await stack.client.getStatus(sampleId);
    const failedBody = failedStatus.body as StatusBody;
    expect(failedBody.destinations.find((d) => d.provider === 'meta')).toMatchObject({ state: 'failed', reason: REASON, attempts: 3 });
    expect(failedBody.destinations.find((d) => d.provider === 'google')).toMatchObject({ state: 'sent' });
    const workerMetrics = (await Promise.all(stack.stack.workers.map(metricsText))).join('\n');
    expect(metricValue(workerMetrics, 'capconnect_dispatch_events_total', { provider: 'meta', outcome: 'failed' })).toBe(EVENTS);
    // The dead-letter queue holds the jobs' data: scan it while it is full.
    const scanWithDlq = await expectNoCanaries(stack);

    stack.sandbox.clearFaults();
    const dryRun = await cli(['replay', '--provider', 'meta', '--reason', REASON, '--dry-run', '--json'], stack.redis.url);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ matched: EVENTS, replayed: 0, dryRun: true });
    const replayStarted = Date.now();
    const replay = await cli(['replay', '--provider', 'meta', '--reason', REASON, '--json'], stack.redis.url);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ matched: EVENTS, replayed: EVENTS, skipped: [] });
    stack.client.responses.push(dryRun.stdout, dryRun.stderr, replay.stdout, replay.stderr);

    const drainMs = await waitForDelivery(stack, 60_000);
    const dedups = await expectExactlyOnce(stack);
    const sentStatus = (await stack.client.getStatus(sampleId)).body as StatusBody;
    expect(sentStatus.destinations.find((d) => d.provider === 'meta')).toMatchObject({ state: 'sent' });
    await expectNoCanaries(stack);
    report('long outage', {
      events: EVENTS, reason: REASON, deadLetteredMs, metaFaulted: stack.sandbox.stats('meta').faulted, redisKeysWithDlq: scanWithDlq.redisKeys,
      replayToDeliveredMs: Date.now() - replayStarted, drainMs, ...dedups, totalMs: Date.now() - started,
    });
  }, 150_000);
});
