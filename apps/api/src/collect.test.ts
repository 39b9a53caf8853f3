import { jobIdFor } from '@capconnect/queue';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { NOW_MS, SECRET, purchase, reply, startHarness, type Harness } from './test/harness.js';

const harnesses: Harness[] = [];
afterEach(async () => { for (const harness of harnesses.splice(0)) await harness.close(); });
function harness(...args: Parameters<typeof startHarness>): Harness {
  const started = startHarness(...args);
  harnesses.push(started);
  return started;
}

const post = async (h: Harness, path: string, body: unknown) =>
  reply(await request(h.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));

describe('POST /v1/collect', () => {
  it('queues one job per eligible provider and answers 202 with the documented body (docs/architecture.md#routes)', async () => {
    const h = harness();
    const res = await post(h, '/v1/collect', purchase('order-1'));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      eventId: 'order-1',
      status: 'queued',
      destinations: [
        { provider: 'meta', jobId: jobIdFor('meta', 'order-1') },
        { provider: 'google', jobId: jobIdFor('google', 'order-1') },
      ],
      skipped: [],
      warnings: [],
    });
    expect(await h.producer.queues.meta.count()).toBe(1);
    expect(await h.producer.queues.google.count()).toBe(1);
  });

  it('answers duplicate for the same event posted again, and stores it once', async () => {
    const h = harness();
    expect((await post(h, '/v1/collect', purchase('order-2'))).body.status).toBe('queued');
    const again = await post(h, '/v1/collect', purchase('order-2'));
    expect(again.status).toBe(202);
    expect(again.body.status).toBe('duplicate');
    expect(await h.producer.queues.meta.count()).toBe(1);
  });

  it('reports skipped providers and warnings by field and code, never by value', async () => {
    const h = harness();
    const res = await post(h, '/v1/collect', purchase('order-3', { customer: { phone: 'not-a-phone-xyz' }, event: { gclid: undefined } }));
    expect(res.status).toBe(202);
    expect(res.body.warnings).toContainEqual({ field: 'customer.phone', code: 'invalid_phone' });
    expect(res.body.destinations!.map((d) => d.provider)).toContain('meta');
    expect(JSON.stringify(res.body)).not.toContain('not-a-phone-xyz');
  });

  it('answers 422 with the reasons when no provider can take the event', async () => {
    const h = harness();
    const res = await post(h, '/v1/collect', { customer: {}, event: { eventName: 'Unmapped', eventId: 'x-1', actionSource: 'website' } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: 'no_destination', eventId: 'x-1' });
    expect(res.body.skipped!.map((s) => s.provider).sort()).toEqual(['google', 'meta']);
    expect(await h.producer.queues.meta.count()).toBe(0);
  });

  it('answers 400 with per-field issues that never echo the value', async () => {
    const h = harness();
    const res = await post(h, '/v1/collect', { customer: { email: 42, emial: 'typo@example.com' }, event: { eventName: 'Purchase', eventTime: 'yesterday-canary' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_event');
    const paths = res.body.issues!.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['customer.email', 'customer.emial', 'event.eventTime']));
    expect(JSON.stringify(res.body)).not.toMatch(/typo@example|yesterday-canary|42/);
  });

  it('answers 400 for an event time more than 10 minutes in the future', async () => {
    const h = harness();
    const res = await post(h, '/v1/collect', purchase('f-1', { event: { eventTime: Math.floor(NOW_MS / 1000) + 3600 } }));
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([{ path: 'event.eventTime', message: expect.any(String) as string }]);
  });

  it('refuses non-JSON (415), oversized (413), malformed (400), hostile structure (400), arrays (400)', async () => {
    const h = harness();
    const text = reply(await request(h.app).post('/v1/collect').set('x-capconnect-token', SECRET).set('content-type', 'text/plain').send('hello'));
    expect([text.status, text.body.error]).toEqual([415, 'unsupported_media_type']);
    const none = reply(await request(h.app).post('/v1/collect').set('x-capconnect-token', SECRET).send());
    expect(none.status).toBe(415);
    const big = await post(h, '/v1/collect', { pad: 'x'.repeat(300 * 1024) });
    expect([big.status, big.body.error]).toEqual([413, 'payload_too_large']);
    const broken = reply(await request(h.app).post('/v1/collect').set('x-capconnect-token', SECRET).set('content-type', 'application/json').send('{"customer": {"email": "secret-canary@x.io"'));
    expect([broken.status, broken.body.error]).toEqual([400, 'malformed_json']);
    expect(JSON.stringify(broken.body)).not.toContain('secret-canary');
    let deep: unknown = 'x';
    for (let level = 0; level < 40; level += 1) deep = { a: deep };
    expect((await post(h, '/v1/collect', deep)).body.error).toBe('invalid_body');
    const proto = reply(await request(h.app).post('/v1/collect').set('x-capconnect-token', SECRET).set('content-type', 'application/json')
      .send('{"__proto__": {"polluted": true}, "event": {"eventName": "Purchase"}}'));
    expect([proto.status, proto.body.error]).toEqual([400, 'invalid_body']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await post(h, '/v1/collect', [purchase('a')])).body.error).toBe('invalid_body');
    for (const res of [text, big, broken]) {
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts|stack/i);
    }
  });
});

describe('POST /v1/collect/batch', () => {
  it('handles valid, invalid, unroutable and duplicate items independently, losing nothing', async () => {
    const h = harness();
    const items = [
      purchase('b-1'),
      { event: { eventName: 'Purchase', eventTime: -5 } },
      purchase('b-2'),
      purchase('b-1'),
      { customer: {}, event: { eventName: 'Unmapped', eventId: 'b-3' } },
      'not an object',
    ];
    const res = await post(h, '/v1/collect/batch', items);
    expect(res.status).toBe(202);
    expect(res.body.results!.map((r) => [r.index, r.status])).toEqual([
      [0, 'queued'], [1, 'invalid'], [2, 'queued'], [3, 'duplicate'], [4, 'rejected'], [5, 'invalid'],
    ]);
    expect(res.body.results![0]).toMatchObject({ eventId: 'b-1', destinations: [{ provider: 'meta' }, { provider: 'google' }] });
    expect(res.body.validationErrors!.map((e) => e.index)).toEqual([1, 5]);
    expect(res.body.validationErrors![0]!.issues).toContainEqual({ path: 'event.eventTime', message: expect.any(String) as string });
    // Two distinct routable events, two providers each: exactly four jobs, none lost, none doubled.
    expect(await h.producer.queues.meta.count()).toBe(2);
    expect(await h.producer.queues.google.count()).toBe(2);
    for (const eventId of ['b-1', 'b-2']) {
      expect(await h.producer.queues.meta.getJob(jobIdFor('meta', eventId))).toBeDefined();
      expect(await h.producer.queues.google.getJob(jobIdFor('google', eventId))).toBeDefined();
    }
  });

  it('counts outcomes per event and match keys per queued job, duplicates and rejected items not as match keys', async () => {
    const h = harness();
    await post(h, '/v1/collect/batch', [purchase('c-1'), purchase('c-2')]);
    const items = [
      purchase('c-1'), // duplicate of the earlier request
      purchase('c-3'),
      purchase('c-4', { customer: { phone: undefined } }),
      purchase('c-3'), // duplicate within the batch
      { customer: {}, event: { eventName: 'Unmapped', eventId: 'c-5' } },
      { event: {} },
    ];
    const res = await post(h, '/v1/collect/batch', items);
    expect(res.body.results!.map((r) => r.status)).toEqual(['duplicate', 'queued', 'queued', 'duplicate', 'rejected', 'invalid']);
    const counters = new Map((await h.metrics.ingestEvents.get()).values.map((value) => [value.labels.outcome, value.value]));
    expect(Object.fromEntries(counters)).toEqual({ queued: 4, duplicate: 2, invalid: 1, skipped: 1, unavailable: 0 });
    const identifiers = Object.fromEntries((await h.metrics.identifiers.get()).values.map((value) => [`${value.labels.provider}.${value.labels.field}`, value.value]));
    // c-1, c-2, c-3 and c-4 were queued once each, to both providers; only c-4 has no phone.
    expect(identifiers).toMatchObject({ 'meta.em': 4, 'meta.ph': 3, 'google.gclid': 4, 'meta.clientIpAddress': 4, 'meta.clientUserAgent': 4 });
    expect(Object.keys(identifiers)).not.toContain('meta.eventSourceUrl');
  });

  it('refuses batches over BATCH_MAX_EVENTS (413), empty batches and non-arrays (400)', async () => {
    const h = harness();
    const tooMany = await post(h, '/v1/collect/batch', Array.from({ length: 51 }, (_, index) => purchase(`m-${index}`)));
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toBe('too_many_events');
    expect((await post(h, '/v1/collect/batch', [])).status).toBe(400);
    expect((await post(h, '/v1/collect/batch', purchase('x'))).status).toBe(400);
    expect(await h.producer.queues.meta.count()).toBe(0);
  });
});
