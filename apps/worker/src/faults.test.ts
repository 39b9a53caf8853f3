import { SANDBOX_DEFAULTS } from '@capconnect/sandbox';
import { parseFailure } from '@capconnect/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { googleEvent, metaEvent, startHarness, type Harness } from './test/harness.js';

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

async function settled(h: Harness, provider: 'meta' | 'google', total: number, timeoutMs = 20_000): Promise<void> {
  await h.waitFor(async () => {
    const counts = await h.counts(provider);
    return (counts['completed'] ?? 0) + (counts['failed'] ?? 0) >= total;
  }, timeoutMs);
}

describe('transient faults: every event delivered exactly once, retries visible', () => {
  it('Meta: 5xx, 429 + Retry-After, transient code, timeout and dropped connection', async () => {
    // Retried jobs regroup into one batch (Batcher backlog rule), so each job can meet every one of
    // the six faults; with 8 attempts that is still delivery, not retry exhaustion (tested below).
    const h = harness = await startHarness({ httpTimeoutMs: 300, maxAttempts: 8, deps: { batchLingerMs: 20 } });
    const control = h.sandbox.control;
    control.addFault({ provider: 'meta', kind: 'http-500' });
    control.addFault({ provider: 'meta', kind: 'http-429', retryAfterS: 1 });
    control.addFault({ provider: 'meta', kind: 'meta-transient', metaCode: 613 });
    control.addFault({ provider: 'meta', kind: 'hang' });
    control.addFault({ provider: 'meta', kind: 'drop' });
    control.addFault({ provider: 'meta', kind: 'delay', delayMs: 600 }); // answered after our timeout: Meta dedups the re-send
    const events = Array.from({ length: 30 }, (_, i) => metaEvent(`tr-m-${i}`));
    const started = Date.now();
    await h.enqueue(events);
    await settled(h, 'meta', 30, 30_000);
    expect((await h.counts('meta'))['completed']).toBe(30);
    const accepted = control.metaEvents().map((event) => event.event.event_id);
    expect(new Set(accepted).size).toBe(30);
    expect(accepted).toHaveLength(30);
    expect(control.faults()).toHaveLength(0);
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'retried' })).toBeGreaterThan(0);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'timeout' })).toBeGreaterThan(0);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'network' })).toBeGreaterThan(0);
    // The 429 paused the whole queue for its Retry-After.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'sent' })).toBe(30);
  }, 45_000);

  it('Google: 5xx, 503, quota with retryDelay, timeout and dropped connection', async () => {
    // Retried jobs regroup into one batch (Batcher backlog rule), so each job can meet every one of
    // the six faults; with 8 attempts that is still delivery, not retry exhaustion (tested below).
    const h = harness = await startHarness({ httpTimeoutMs: 300, maxAttempts: 8, deps: { batchLingerMs: 20 } });
    const control = h.sandbox.control;
    control.addFault({ provider: 'google', kind: 'http-500' });
    control.addFault({ provider: 'google', kind: 'resource-exhausted', retryAfterS: 1 });
    control.addFault({ provider: 'google', kind: 'http-503' });
    control.addFault({ provider: 'google', kind: 'hang' });
    control.addFault({ provider: 'google', kind: 'drop' });
    control.addFault({ provider: 'google', kind: 'delay', delayMs: 600 });
    await h.enqueue(Array.from({ length: 30 }, (_, i) => googleEvent(`tr-g-${i}`)));
    await settled(h, 'google', 30, 30_000);
    expect((await h.counts('google'))['completed']).toBe(30);
    const orders = control.googleRows().map((row) => row.row.orderId);
    expect(new Set(orders).size).toBe(30);
    expect(orders).toHaveLength(30);
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'google', outcome: 'retried' })).toBeGreaterThan(0);
  }, 45_000);

  it('gives up after RETRY_MAX_ATTEMPTS with the last code recorded', async () => {
    const h = harness = await startHarness({ maxAttempts: 3 });
    h.sandbox.control.addFault({ provider: 'meta', kind: 'http-503', count: 10 });
    await h.enqueue([metaEvent('give-up')]);
    await settled(h, 'meta', 1);
    const [job] = await h.producer.queues.meta.getJobs(['failed']);
    expect(job?.attemptsMade).toBe(3);
    expect(parseFailure(job?.failedReason)).toMatchObject({ code: 'meta_2', httpStatus: 503 });
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'retried' })).toBe(2);
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'failed' })).toBe(1);
  });
});

describe('waits that spend no attempt', () => {
  it('revoked OAuth grant: Google waits with provider_blocked=1, Meta is unaffected, then Google recovers', async () => {
    const h = harness = await startHarness({ googleAuth: 'refresh' });
    const control = h.sandbox.control;
    control.revokeRefreshToken(SANDBOX_DEFAULTS.oauth.refreshToken);
    await h.enqueue([googleEvent('blocked-1'), googleEvent('blocked-2'), metaEvent('meta-free-1')]);
    await settled(h, 'meta', 1);
    await h.waitFor(async () => (await h.metric('capconnect_provider_blocked', { provider: 'google' })) === 1);
    expect(await h.metric('capconnect_provider_blocked', { provider: 'meta' })).toBe(0);
    expect(control.metaEvents()).toHaveLength(1);
    // Parked, not failed: no attempt spent while the account is broken.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const counts = await h.counts('google');
    expect(counts['failed']).toBe(0);
    expect(counts['completed']).toBe(0);
    const parked = await h.producer.queues.google.getJobs(['delayed', 'waiting', 'active']);
    for (const job of parked) expect(job.attemptsMade).toBe(0);
    expect(await h.metric('capconnect_oauth_refresh_total', { outcome: 'invalid_grant' })).toBeGreaterThan(0);
    // The operator fixes the grant: the parked events go out and the alert clears.
    h.sandbox.control.reset();
    await settled(h, 'google', 2);
    expect((await h.counts('google'))['completed']).toBe(2);
    expect(await h.metric('capconnect_provider_blocked', { provider: 'google' })).toBe(0);
  });

  it('Meta token revoked (code 190) blocks Meta only', async () => {
    const h = harness = await startHarness();
    h.sandbox.control.addFault({ provider: 'meta', kind: 'token-revoked', count: 1 });
    await h.enqueue([metaEvent('m190'), googleEvent('g-ok')]);
    await settled(h, 'google', 1);
    await h.waitFor(async () => (await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'meta_190' })) === 1);
    await settled(h, 'meta', 1);
    const [job] = await h.producer.queues.meta.getJobs(['completed']);
    expect(job?.attemptsMade).toBe(1);
    expect(await h.metric('capconnect_provider_blocked', { provider: 'meta' })).toBe(0);
  });

  it('Google TOO_RECENT_EVENT parks the rows for 6 hours without spending an attempt', async () => {
    const h = harness = await startHarness();
    h.sandbox.control.addFault({ provider: 'google', kind: 'too-recent-event' });
    const before = Date.now();
    await h.enqueue([googleEvent('recent-1'), googleEvent('recent-2')]);
    await h.waitFor(async () => (await h.counts('google'))['delayed'] === 2);
    for (const job of await h.producer.queues.google.getJobs(['delayed'])) {
      expect(job.attemptsMade).toBe(0);
      expect(job.delay).toBeGreaterThanOrEqual(6 * 3_600_000 - 60_000);
      expect(job.timestamp + job.delay).toBeGreaterThanOrEqual(before + 6 * 3_600_000 - 1000);
    }
  });

  it('a scheduled wait past the event window expires the event instead', async () => {
    const h = harness = await startHarness();
    h.sandbox.control.addFault({ provider: 'google', kind: 'too-recent-conversion-action' });
    const old = googleEvent('almost-expired');
    old.event.eventTime = Math.floor(Date.now() / 1000) - 90 * 86_400 + 3600;
    await h.enqueue([old]);
    await settled(h, 'google', 1);
    const [job] = await h.producer.queues.google.getJobs(['failed']);
    expect(parseFailure(job?.failedReason).code).toBe('expired');
  });
});
