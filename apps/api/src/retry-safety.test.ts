/**
 * Retries are safe (issue #13 item 3): an event without `eventId`/`orderId` gets an id derived from
 * the body as posted, so the same body sent again is a duplicate, also after a 503 from a stalled
 * Redis that stored the first attempt after all. And the per-event caps and id rules answer 400
 * naming the field (items 1, 8, 9).
 */
import { startPrivateRedis } from '@capconnect/testkit';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { NOW_MS, SECRET, reply, startHarness, type Harness } from './test/harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });
function harness(...args: Parameters<typeof startHarness>): Harness {
  const started = startHarness(...args);
  cleanups.push(() => started.close());
  return started;
}

const post = async (h: Harness, path: string, body: unknown) =>
  reply(await request(h.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));

/** A Meta-and-Google purchase with neither eventId nor orderId, and no eventTime: "now" is applied at ingest. */
const idless = (email = 'idless@example.com') => ({
  customer: { email, phone: '090-1234-5678' },
  event: {
    eventName: 'Purchase', value: 4980, currency: 'JPY', actionSource: 'website', eventSourceUrl: 'https://shop.example.com/thanks',
    clientUserAgent: 'Mozilla/5.0 test', gclid: 'Cj0KCQ-test',
  },
});

describe('an event posted without eventId and orderId', () => {
  it('gets an id derived from the body, and the same body posted again (later) is a duplicate', async () => {
    let now = NOW_MS;
    const h = harness({ clock: () => now });
    const first = await post(h, '/v1/collect', idless());
    expect([first.status, first.body.status]).toEqual([202, 'queued']);
    expect(first.body.eventId).toMatch(/^pst-[0-9a-f]{40}$/);
    expect(first.body.warnings).toContainEqual({ field: 'event.eventId', code: 'generated_event_id' });
    now += 30_000;
    const retried = await post(h, '/v1/collect', idless());
    expect([retried.status, retried.body.status, retried.body.eventId]).toEqual([202, 'duplicate', first.body.eventId]);
    expect(await h.producer.queues.meta.count()).toBe(1);
    expect(await h.producer.queues.google.count()).toBe(1);
    // Another customer is another event.
    const other = await post(h, '/v1/collect', idless('someone-else@example.com'));
    expect([other.body.status, other.body.eventId === first.body.eventId]).toEqual(['queued', false]);
  });

  it('is deduplicated inside a batch and across a retried batch', async () => {
    const h = harness();
    const batch = await post(h, '/v1/collect/batch', [idless(), idless('b@example.com')]);
    expect(batch.body.results!.map((result) => result.status)).toEqual(['queued', 'queued']);
    const again = await post(h, '/v1/collect/batch', [idless(), idless('b@example.com')]);
    expect(again.body.results!.map((result) => result.status)).toEqual(['duplicate', 'duplicate']);
    expect(await h.producer.queues.meta.count()).toBe(2);
  });
});

describe('a 503 while Redis is stalled', () => {
  it('says the event may have been stored; the retry with the same body is then a duplicate, stored once', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.dispose());
    const h = harness({ redisUrl: redis.url });
    redis.pause();
    let resumed = false;
    try {
      const stalled = await post(h, '/v1/collect', idless());
      expect(stalled.status).toBe(503);
      expect(stalled.body).toEqual({
        error: 'queue_unavailable',
        message: 'the event store did not confirm the write in time; the events may have been stored; retry with the same body',
      });
      redis.resume();
      resumed = true;
      // The commands written before the timeout run once Redis resumes (the probe's finding): the
      // client's retry of the same body must then not store the event a second time.
      let retried = await post(h, '/v1/collect', idless());
      for (let attempt = 0; retried.status === 503 && attempt < 20; attempt += 1) retried = await post(h, '/v1/collect', idless());
      expect(retried.status).toBe(202);
      expect(await h.producer.queues.meta.count()).toBe(1);
      expect(await h.producer.queues.google.count()).toBe(1);
    } finally {
      if (!resumed) redis.resume();
    }
  });
});

describe('per-event caps and id rules at the api', () => {
  it('answers 400 naming the field, never the value', async () => {
    const h = harness();
    const canary = 'canary-value-9d2e';
    const cases: [unknown, string, string][] = [
      [{ ...idless(), event: { ...idless().event, customData: { blob: canary.repeat(400) } } }, 'event.customData', 'must be at most 4096 bytes as JSON'],
      [{ ...idless(), event: { ...idless().event, eventId: '+81 90 7777 1234' } }, 'event.eventId', 'must not be a phone number (ids are not hashed)'],
      [{ ...idless(), event: { ...idless().event, orderId: `${canary}\u0000` } }, 'event.orderId', 'must not contain control characters or unpaired surrogates'],
      [{ ...idless(), event: { ...idless().event, eventTime: 0 } }, 'event.eventTime', 'must not be more than 90 days in the past'],
    ];
    for (const [body, path, message] of cases) {
      const res = await post(h, '/v1/collect', body);
      expect(res.status).toBe(400);
      expect(res.body.issues).toEqual([{ path, message }]);
      expect(JSON.stringify(res.body)).not.toContain(canary);
      expect(JSON.stringify(res.body)).not.toContain('7777');
    }
    expect(h.logLines.join('\n')).not.toContain('7777');
    expect(await h.producer.queues.meta.count()).toBe(0);
    expect(await h.producer.queues.google.count()).toBe(0);
    // An ordinary order id that looks like a North American number without `+` stays valid.
    const ordinary = await post(h, '/v1/collect', { ...idless(), event: { ...idless().event, orderId: '123-456-7890' } });
    expect(ordinary.status).toBe(202);
  });
});
