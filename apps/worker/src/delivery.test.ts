import { findCanaries } from '@capconnect/testkit';
import { parseFailure, summarizeJobData } from '@capconnect/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { googleEvent, metaEvent, nowS, sha, startHarness, type Harness } from './test/harness.js';

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

async function settled(h: Harness, provider: 'meta' | 'google', total: number, timeoutMs = 20_000): Promise<void> {
  await h.waitFor(async () => {
    const counts = await h.counts(provider);
    return (counts['completed'] ?? 0) + (counts['failed'] ?? 0) >= total;
  }, timeoutMs);
}

describe('end to end: producer → Redis → worker → sandbox', () => {
  it('delivers one Meta event with its digests and its sealed fields decrypted', async () => {
    const h = harness = await startHarness();
    await h.enqueue([metaEvent('order-e2e-1')]);
    await settled(h, 'meta', 1);
    const [accepted] = h.sandbox.control.metaEvents();
    expect(accepted?.event).toMatchObject({
      event_name: 'Purchase', event_id: 'order-e2e-1', action_source: 'website', event_source_url: 'https://shop.example.com/thanks',
      user_data: {
        em: [sha('john_smith@gmail.com')], ph: ['e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
        client_ip_address: '203.0.113.7', client_user_agent: 'Mozilla/5.0 canary-order-e2e-1',
      },
      custom_data: { value: 4980, currency: 'JPY', order_id: 'order-e2e-1' },
    });
    const job = await h.producer.queues.meta.getJob((await h.producer.queues.meta.getJobs(['completed']))[0]!.id!);
    expect(job?.returnvalue).toMatchObject({ status: 'sent', httpStatus: 200, attempts: 1, batchSize: 1, reference: expect.any(String) as string });
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'sent' })).toBe(1);
    // The per-batch log line carries counts and codes, never payloads or match fields.
    const logs = h.logLines.join('');
    expect(logs).toContain('"msg":"batch"');
    expect(findCanaries(logs, ['canary', '203.0.113.7', sha('john_smith@gmail.com')])).toEqual([]);
  });

  it('delivers Google click conversions and enhancements, the official vector digests intact', async () => {
    // A long linger: the three jobs share one batch however slowly a loaded machine enqueues them.
    const h = harness = await startHarness({ deps: { batchLingerMs: 500 } });
    const enhancement = googleEvent('web-order-1', {
      mode: 'enhancement',
      digests: { hashedEmail: ['509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a'], hashedFirstName: sha('givenname'), hashedLastName: sha('familyname') },
      match: { userAgent: 'Mozilla/5.0 canary-ua', postalCode: '94045', countryCode: 'US' },
    });
    await h.enqueue([googleEvent('click-1'), googleEvent('click-2'), enhancement]);
    await settled(h, 'google', 3);
    const clicks = h.sandbox.control.googleRows({ kind: 'click' });
    expect(clicks.map((row) => row.row.gclid).sort()).toEqual(['Cj0KCQ-canary-click-1', 'Cj0KCQ-canary-click-2']);
    expect(clicks[0]?.row.userIdentifiers).toEqual([{ userIdentifierSource: 'FIRST_PARTY', hashedEmail: sha('alexz@example.com') }]);
    expect(clicks[0]?.row.conversionDateTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+09:00$/);
    const [adjustment] = h.sandbox.control.googleRows({ kind: 'adjustment' });
    expect(adjustment?.row).toMatchObject({
      adjustmentType: 'ENHANCEMENT', orderId: 'web-order-1', userAgent: 'Mozilla/5.0 canary-ua',
      userIdentifiers: [
        { hashedEmail: '509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a' },
        { addressInfo: { hashedFirstName: '128a07bfe2df877c52076e60d7774cf5baaa046c5a6c48daf30ff43ecca2f814', hashedLastName: '77762c287e61ce065bee5c15464012c6fbe088398b8057627d5577249430d574', countryCode: 'US', postalCode: '94045' } },
      ],
    });
    expect(h.sandbox.control.stats('google').requests).toBe(2);
  });

  it('batches 1000 queued events into ≤ 2 Meta requests and 1 Google request, outcomes per event', async () => {
    const h = harness = await startHarness({ deps: { batchLingerMs: 2000 } });
    const metaEvents = Array.from({ length: 1000 }, (_, i) => metaEvent(`bulk-m-${i}`));
    const googleEvents = Array.from({ length: 1000 }, (_, i) => googleEvent(`bulk-g-${i}`));
    const started = Date.now();
    await h.enqueue([...metaEvents, ...googleEvents]);
    await Promise.all([settled(h, 'meta', 1000, 40_000), settled(h, 'google', 1000, 40_000)]);
    const elapsed = Date.now() - started;
    expect(h.sandbox.control.stats('meta').requests).toBeLessThanOrEqual(2);
    expect(h.sandbox.control.stats('google').requests).toBe(1);
    expect(h.sandbox.control.metaEvents()).toHaveLength(1000);
    expect(h.sandbox.control.googleRows()).toHaveLength(1000);
    const completed = await h.producer.queues.meta.getJobs(['completed'], 0, 5);
    for (const job of completed) expect(job.returnvalue).toMatchObject({ status: 'sent', batchSize: expect.any(Number) as number });
    expect((await h.counts('meta'))['completed']).toBe(1000);
    expect((await h.counts('google'))['completed']).toBe(1000);
    // Measured, not asserted: end-to-end time for 2000 events incl. the 2 s linger.
    process.stdout.write(`[measure] 1000 Meta + 1000 Google events settled in ${elapsed} ms\n`);
  }, 60_000);

  it('sends a backlog in full batches even with a short linger, and a lone live event after the linger', async () => {
    // A BullMQ worker meeting a backlog first prefetches up to its concurrency, one Redis round trip
    // per job, and hands over only the first job meanwhile; that job would leave alone after the
    // linger, and every later batch would be one short. The backlog rule (Batcher) keeps them full.
    const h = harness = await startHarness({ deps: { batchLingerMs: 50, concurrency: 200 }, metaBatchMax: 100 });
    // Queued while paused, as after a pause or an outage: the worker meets the whole backlog at once.
    await h.producer.queues.meta.pause();
    await h.enqueue(Array.from({ length: 1000 }, (_, i) => metaEvent(`backlog-${i}`)));
    await h.producer.queues.meta.resume();
    await settled(h, 'meta', 1000, 30_000);
    expect(h.sandbox.control.stats('meta').requests).toBe(10);
    // Once the queue has run dry, an event on its own is sent after the plain linger (50 ms), not
    // held for a backlog (up to 500 ms): a second event 300 ms later finds no open batch to join.
    await h.enqueue([metaEvent('live-1')]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.enqueue([metaEvent('live-2')]);
    await settled(h, 'meta', 1002);
    expect(h.sandbox.control.stats('meta').requests).toBe(12);
  });

  it('fails a stale and an invalid Meta event alone; the rest of the batch is delivered', async () => {
    const h = harness = await startHarness({ deps: { batchLingerMs: 300 } });
    const stale = metaEvent('stale-1', { eventTime: nowS() - 8 * 86_400 });
    const noUrl = metaEvent('no-url-1');
    delete noUrl.match.eventSourceUrl;
    const badIp = metaEvent('bad-ip-1');
    badIp.match.clientIpAddress = 'not-an-ip';
    const good = Array.from({ length: 10 }, (_, i) => metaEvent(`good-${i}`));
    await h.enqueue([...good.slice(0, 5), stale, noUrl, badIp, ...good.slice(5)]);
    await settled(h, 'meta', 13);
    const failed = await h.producer.queues.meta.getJobs(['failed']);
    const reasons = Object.fromEntries(failed.map((job) => [summarizeJobData(job.data)?.event.eventId ?? '', parseFailure(job.failedReason).code]));
    // Stale and URL-less events are refused before batching; the bad IP only Meta catches (by index).
    expect(reasons).toEqual({ 'stale-1': 'expired', 'no-url-1': 'missing_event_source_url', 'bad-ip-1': 'meta_100' });
    expect(h.sandbox.control.metaEvents().map((event) => event.event.event_id).sort()).toEqual(good.map((event) => event.event.eventId).sort());
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'expired' })).toBe(1);
    for (const job of failed) expect(job.attemptsMade).toBe(1);
  });

  it('fails exactly the Google rows that failed, row 0 included, with their reasons', async () => {
    const h = harness = await startHarness({ deps: { batchLingerMs: 300 } });
    const bad0 = googleEvent('g-bad-0', { match: { gclid: 'not a gclid!' } });
    const bad3 = googleEvent('g-bad-3', { conversionActionId: '111' });
    const oldClick = googleEvent('g-old', { event: { ...googleEvent('x').event, eventId: 'g-old', orderId: 'g-old', eventTime: nowS() - 100 * 86_400 } });
    await h.enqueue([bad0, googleEvent('g-1'), googleEvent('g-2'), bad3, googleEvent('g-4'), oldClick]);
    await settled(h, 'google', 6);
    const failed = await h.producer.queues.google.getJobs(['failed']);
    const reasons = Object.fromEntries(failed.map((job) => [summarizeJobData(job.data)?.event.eventId ?? '', parseFailure(job.failedReason)]));
    expect(reasons['g-bad-0']).toMatchObject({ code: 'UNPARSEABLE_GCLID', httpStatus: 200 });
    expect(reasons['g-bad-3']).toMatchObject({ code: 'NO_CONVERSION_ACTION_FOUND', httpStatus: 200 });
    expect(reasons['g-old']).toMatchObject({ code: 'expired' });
    expect(Object.keys(reasons)).toHaveLength(3);
    expect(h.sandbox.control.googleRows().map((row) => row.row.orderId).sort()).toEqual(['g-1', 'g-2', 'g-4']);
    expect(h.sandbox.control.stats('google').requests).toBe(1);
  });

  it('fails permanent faults at once with the reason recorded, and retries nothing', async () => {
    const h = harness = await startHarness();
    h.sandbox.control.addFault({ provider: 'meta', kind: 'permission-denied' });
    await h.enqueue([metaEvent('perm-1'), metaEvent('perm-2')]);
    await settled(h, 'meta', 2);
    const failed = await h.producer.queues.meta.getJobs(['failed']);
    expect(failed).toHaveLength(2);
    for (const job of failed) {
      expect(parseFailure(job.failedReason)).toMatchObject({ code: 'meta_200', httpStatus: 403, reference: expect.any(String) as string });
      expect(job.attemptsMade).toBe(1);
    }
    expect(await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'retried' })).toBe(0);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'meta_200' })).toBe(2);
    expect(h.sandbox.control.stats('meta').requests).toBe(1);
    expect(h.sandbox.control.metaEvents()).toEqual([]);
  });
});
