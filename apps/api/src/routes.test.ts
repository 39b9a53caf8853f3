import { QUEUE_NAMES, createRedisConnection, createRequestRecords, formatFailure, jobIdFor, type DeliveryOutcome } from '@capconnect/queue';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SEALED } from './preview.js';
import { SECRET, purchase, reply, startHarness, type Harness } from './test/harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });
function harness(...args: Parameters<typeof startHarness>): Harness {
  const started = startHarness(...args);
  cleanups.push(() => started.close());
  return started;
}

const post = async (h: Harness, path: string, body: unknown) =>
  reply(await request(h.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));
const get = async (h: Harness, path: string) => reply(await request(h.app).get(path).set('x-capconnect-token', SECRET));

/** Stands in for apps/worker: settles each job of one provider queue as `settle` says. */
function fakeWorker(h: Harness, provider: 'meta' | 'google', settle: (job: Job) => DeliveryOutcome): void {
  const connection = createRedisConnection(h.redisUrl, 'worker');
  const worker = new Worker(QUEUE_NAMES[provider], (job) => Promise.resolve(settle(job)), {
    connection, prefix: h.prefix, settings: { backoffStrategy: () => 60_000 },
  });
  worker.on('error', () => undefined);
  cleanups.push(async () => { await worker.close(); await connection.quit(); });
}

const sent = (reference: string): DeliveryOutcome => ({ status: 'sent', httpStatus: 200, reference, attempts: 1, batchSize: 1, sentAt: Date.now() });

describe('POST /v1/preview', () => {
  it('shows the digests and routing per provider, masks match fields, and stores nothing', async () => {
    const h = harness();
    const res = await post(h, '/v1/preview', purchase('p-1', { event: { fbc: 'fb.1.1700000000000.IwAR-preview' } }));
    expect(res.status).toBe(200);
    expect(res.body.eventId).toBe('p-1');
    const [meta, google] = res.body.destinations! as { provider: string; payload: Record<string, unknown>; job: { userData: { em: string[] } } }[];
    expect(meta).toMatchObject({ provider: 'meta', jobId: jobIdFor('meta', 'p-1') });
    expect(meta?.job).toMatchObject({
      provider: 'meta',
      event: { eventName: 'Purchase', eventId: 'p-1', value: 4980, currency: 'JPY' },
      userData: { em: [expect.stringMatching(/^[0-9a-f]{64}$/) as string], ph: [expect.stringMatching(/^[0-9a-f]{64}$/) as string] },
      match: { clientIpAddress: SEALED, clientUserAgent: SEALED, fbc: SEALED, eventSourceUrl: SEALED },
    });
    expect(google?.job).toMatchObject({ provider: 'google', mode: 'click', conversionActionId: '111', match: { gclid: SEALED } });
    // The exact provider payloads, built by the workers' own builders, match fields masked.
    expect(meta?.payload).toMatchObject({
      event_name: 'Purchase', event_id: 'p-1', action_source: 'website', event_source_url: SEALED,
      user_data: { em: meta?.job.userData.em, client_ip_address: SEALED, client_user_agent: SEALED, fbc: SEALED },
    });
    expect(google?.payload).toMatchObject({ gclid: SEALED, conversionAction: expect.stringMatching(/\/conversionActions\/111$/) as string });
    expect(res.text).not.toMatch(/alice@example|203\.0\.113\.7|IwAR-preview|Cj0KCQ-test|shop\.example\.com|Mozilla/);
    expect(await h.producer.queues.meta.count()).toBe(0);
    expect(await h.producer.queues.google.count()).toBe(0);
  });

  it('shows the Data Manager request when GOOGLE_API=data-manager: destination, transaction id, digests, sealed values masked', async () => {
    const h = harness({ env: { GOOGLE_API: 'data-manager', GOOGLE_LOGIN_CUSTOMER_ID: '9876543210' } });
    const res = await post(h, '/v1/preview', { ...purchase('p-dm'), consent: { adUserData: 'granted', adPersonalization: 'granted' } });
    expect(res.status).toBe(200);
    const google = (res.body.destinations! as { provider: string; payload: Record<string, unknown>; job: Record<string, unknown> }[])
      .find((destination) => destination.provider === 'google');
    expect(google?.job).toMatchObject({ api: 'data-manager', mode: 'click', eventSource: 'WEB', transactionId: expect.any(String) as string, match: { gclid: SEALED } });
    expect(google?.payload).toMatchObject({
      destinations: [{ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1234567890' }, loginAccount: { accountId: '9876543210' }, productDestinationId: '111' }],
      encoding: 'HEX',
      events: [{
        eventSource: 'WEB', consent: { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' },
        adIdentifiers: { gclid: SEALED }, userData: { userIdentifiers: expect.arrayContaining([{ emailAddress: expect.stringMatching(/^[0-9a-f]{64}$/) as string }]) as unknown[] },
      }],
    });
    expect(res.text).not.toMatch(/alice@example|203\.0\.113\.7|Cj0KCQ-test|Mozilla/);
    expect(await h.producer.queues.google.count()).toBe(0);
  });

  it('answers 400 for an invalid event and 422 when no provider would take it', async () => {
    const h = harness();
    expect((await post(h, '/v1/preview', { event: {} })).body).toMatchObject({ error: 'invalid_event', issues: [{ path: 'event.eventName' }] });
    const none = await post(h, '/v1/preview', { event: { eventName: 'Unmapped', eventId: 'u-1' } });
    expect(none.status).toBe(422);
    expect(none.body.error).toBe('no_destination');
  });
});

describe('GET /v1/events/:eventId', () => {
  it('answers 404 for an unknown event and the per-provider state of a known one', async () => {
    const h = harness();
    expect((await get(h, '/v1/events/never-seen')).body).toMatchObject({ error: 'not_found' });
    await post(h, '/v1/collect', purchase('s-1'));
    const queued = await get(h, '/v1/events/s-1');
    expect(queued.status).toBe(200);
    expect(queued.body).toEqual({
      eventId: 's-1',
      destinations: [
        { provider: 'meta', jobId: jobIdFor('meta', 's-1'), state: 'queued', attempts: 0 },
        { provider: 'google', jobId: jobIdFor('google', 's-1'), state: 'queued', attempts: 0 },
      ],
    });
  });

  it('shows sent with the provider reference, and failures with their reason code', async () => {
    const h = harness();
    fakeWorker(h, 'meta', () => sent('fbtrace-1'));
    fakeWorker(h, 'google', () => { throw new UnrecoverableError(formatFailure({ code: 'CLICK_NOT_FOUND', httpStatus: 200, reference: 'req-9' })); });
    await post(h, '/v1/collect', purchase('s-2'));
    await expect.poll(async () => (await get(h, '/v1/events/s-2')).body.destinations?.map((d) => d.state), { timeout: 10_000 }).toEqual(['sent', 'failed']);
    const { body } = await get(h, '/v1/events/s-2');
    expect(body.destinations).toEqual([
      expect.objectContaining({ provider: 'meta', state: 'sent', httpStatus: 200, reference: 'fbtrace-1', attempts: 1 }),
      expect.objectContaining({ provider: 'google', state: 'failed', reason: 'CLICK_NOT_FOUND', httpStatus: 200, reference: 'req-9' }),
    ]);
  });
});

describe('GET /v1/events/:eventId with Google request diagnostics', () => {
  it("shows the request's verdict and error counts on the google entry, also after the job is gone", async () => {
    const h = harness();
    fakeWorker(h, 'meta', () => sent('fbtrace-3'));
    fakeWorker(h, 'google', () => sent('dm-req-3'));
    await post(h, '/v1/collect', purchase('d-1'));
    await expect.poll(async () => (await get(h, '/v1/events/d-1')).body.destinations?.map((d) => d.state), { timeout: 10_000 }).toEqual(['sent', 'sent']);
    // What the Data Manager dispatcher and the diagnostics poller write (apps/worker).
    const connection = createRedisConnection(h.redisUrl, 'worker');
    cleanups.push(async () => { await connection.quit(); });
    const records = createRequestRecords(connection, { prefix: h.prefix, firstPollDelayMs: 0 });
    await records.save({ requestId: 'dm-req-3', provider: 'google', eventIds: ['d-1', 'd-2'], sentAtMs: 1_764_500_000_000, validateOnly: false, warnings: {} });
    expect((await get(h, '/v1/events/d-1')).body.destinations?.[1]).toMatchObject({ provider: 'google', diagnostics: { state: 'pending', requestId: 'dm-req-3' } });
    await records.complete('dm-req-3', { destinations: [{
      conversionActionId: '111', requestStatus: 'PARTIAL_SUCCESS', errorCounts: { PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 },
      warningCounts: { PROCESSING_WARNING_REASON_GENERIC: 1 }, recordCount: 2,
    }] }, 1_764_503_600_000);
    const diagnostics = {
      provider: 'google', requestId: 'dm-req-3', sentAt: 1_764_500_000_000, eventCount: 2, state: 'final', requestStatus: 'PARTIAL_SUCCESS',
      destinations: [{ conversionActionId: '111', requestStatus: 'PARTIAL_SUCCESS', errorCounts: { PROCESSING_ERROR_REASON_DENIED_CONSENT: 1 }, warningCounts: { PROCESSING_WARNING_REASON_GENERIC: 1 }, recordCount: 2 }],
      warnings: {}, checkedAt: 1_764_503_600_000, attempts: 0,
    };
    const { body } = await get(h, '/v1/events/d-1');
    expect(body.destinations?.[0]).not.toHaveProperty('diagnostics');
    expect(body.destinations?.[1]).toEqual(expect.objectContaining({ provider: 'google', state: 'sent', reference: 'dm-req-3', diagnostics }));

    // Past completed-job retention the record still answers for the event.
    await (await h.producer.queues.google.getJob(jobIdFor('google', 'd-1')))?.remove();
    const later = await get(h, '/v1/events/d-1');
    expect(later.body.destinations?.[1]).toEqual({
      provider: 'google', jobId: jobIdFor('google', 'd-1'), state: 'sent', attempts: 1, reference: 'dm-req-3', finishedAt: 1_764_500_000_000, diagnostics,
    });
  });
});

describe('?wait=<seconds>', () => {
  it('answers 200 in the synchronous form once a provider accepted', async () => {
    const h = harness();
    fakeWorker(h, 'meta', () => sent('fbtrace-2'));
    fakeWorker(h, 'google', () => sent('req-2'));
    const res = await post(h, '/v1/collect?wait=10', purchase('w-1'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      eventId: 'w-1',
      accepted: true,
      results: [
        { provider: 'meta', status: 'sent', httpStatus: 200, detail: null, reference: 'fbtrace-2', attempts: 1 },
        { provider: 'google', status: 'sent', httpStatus: 200, detail: null, reference: 'req-2', attempts: 1 },
      ],
    });
  });

  it('answers 422 when every provider refused, with reasons and skips', async () => {
    const h = harness();
    fakeWorker(h, 'meta', () => { throw new UnrecoverableError(formatFailure({ code: 'meta_100', httpStatus: 400 })); });
    const res = await post(h, '/v1/collect?wait=10', { ...purchase('w-2'), destinations: ['meta'] });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      eventId: 'w-2',
      accepted: false,
      results: [
        { provider: 'meta', status: 'failed', httpStatus: 400, detail: 'meta_100', reference: null, attempts: 1 },
        { provider: 'google', status: 'skipped', httpStatus: null, detail: 'not_requested', reference: null, attempts: 0 },
      ],
    });
  });

  it('answers 202 with what is known when the time runs out, and 400 for a bad wait', async () => {
    const h = harness();
    const started = Date.now();
    const res = await post(h, '/v1/collect?wait=0.3', purchase('w-3'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ eventId: 'w-3', accepted: false, results: [{ provider: 'meta', status: 'queued' }, { provider: 'google', status: 'queued' }] });
    for (const wait of ['abc', '-1', '31', '1e3']) {
      expect((await post(h, `/v1/collect?wait=${wait}`, purchase('w-4'))).body.error).toBe('invalid_query');
    }
  });

  it('waits for a whole batch and answers per index', async () => {
    const h = harness();
    fakeWorker(h, 'meta', () => sent('fb'));
    fakeWorker(h, 'google', () => sent('g'));
    const res = await post(h, '/v1/collect/batch?wait=10', [purchase('wb-1'), { event: {} }, purchase('wb-2')]);
    expect(res.status).toBe(200);
    expect(res.body.results!.map((r) => [r.index, r.accepted ?? r.status])).toEqual([[0, true], [1, 'invalid'], [2, true]]);
    expect(res.body.validationErrors!.map((e) => e.index)).toEqual([1]);
  });
});

describe('health, readiness, unknown routes, metrics', () => {
  it('answers /healthz without auth with the enabled providers', async () => {
    const h = harness({ env: { GOOGLE_ENABLED: 'false' } });
    const res = reply(await request(h.app).get('/healthz'));
    expect(res.body).toEqual({ status: 'ok', service: 'api', providers: { meta: true, google: false } });
  });

  it('answers /readyz 200 while Redis answers', async () => {
    const h = harness();
    const res = reply(await request(h.app).get('/readyz'));
    expect([res.status, res.body.status, res.body.checks]).toEqual([200, 'ready', { redis: true, config: true }]);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const h = harness();
    const res = reply(await request(h.app).get('/v2/whatever?x=1'));
    expect([res.status, res.body.error]).toEqual([404, 'not_found']);
  });

  it('labels HTTP metrics by route template and status, counts outcomes and identifiers', async () => {
    const h = harness();
    await post(h, '/v1/collect', purchase('m-1'));
    await post(h, '/v1/collect', purchase('m-1'));
    await post(h, '/v1/collect', { event: {} });
    await get(h, '/v1/events/m-1');
    await get(h, '/v1/events/other-id');
    await request(h.app).get('/nope/secret-path');
    const text = await h.registry.metrics();
    expect(text).toContain('capconnect_http_requests_total{route="/v1/collect",status="202"} 2');
    expect(text).toContain('capconnect_http_requests_total{route="/v1/collect",status="400"} 1');
    expect(text).toContain('capconnect_http_requests_total{route="/v1/events/:eventId",status="200"} 1');
    expect(text).toContain('capconnect_http_requests_total{route="/v1/events/:eventId",status="404"} 1');
    expect(text).toContain('capconnect_http_requests_total{route="unmatched",status="404"} 1');
    expect(text).toContain('capconnect_ingest_events_total{outcome="queued"} 1');
    expect(text).toContain('capconnect_ingest_events_total{outcome="duplicate"} 1');
    expect(text).toContain('capconnect_ingest_events_total{outcome="invalid"} 1');
    expect(text).toContain('capconnect_identifiers_total{provider="meta",field="em"} 1');
    expect(text).toContain('capconnect_identifiers_total{provider="google",field="gclid"} 1');
    expect(text).not.toMatch(/m-1|other-id|secret-path/);
    const logs = h.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
    expect(logs[0]).toMatchObject({ route: '/v1/collect', status: 202, events: 1, eventIds: ['m-1'], outcomes: { queued: 1 } });
    expect(logs).toHaveLength(6);
  });
});
