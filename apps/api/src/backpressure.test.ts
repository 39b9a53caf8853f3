import { startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET, purchase, reply, startHarness, type Harness } from './test/harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

async function privateSetup(): Promise<{ redis: PrivateRedis; h: Harness }> {
  const redis = await startPrivateRedis({ appendfsync: 'always' });
  cleanups.push(() => redis.dispose());
  const h = startHarness({ redisUrl: redis.url });
  cleanups.push(() => h.close());
  return { redis, h };
}

const post = async (h: Harness, path: string, body: unknown) =>
  reply(await request(h.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));

describe('when Redis cannot take the write', () => {
  it('answers 503 with Retry-After within a second, never 202, and recovers by itself', async () => {
    const { redis, h } = await privateSetup();
    expect((await post(h, '/v1/collect', purchase('before'))).status).toBe(202);

    await redis.stop();
    for (const [path, body] of [['/v1/collect', purchase('during')], ['/v1/collect/batch', [purchase('during-1'), purchase('during-2')]]] as const) {
      const started = Date.now();
      const res = await post(h, path, body);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      // Truthful: a stalled (not stopped) Redis can still store a write the api gave up on.
      expect(res.body).toEqual({ error: 'queue_unavailable', message: 'the event store did not confirm the write in time; the events may have been stored; retry with the same body' });
    }
    const status = reply(await request(h.app).get('/v1/events/before').set('x-capconnect-token', SECRET));
    expect([status.status, status.headers['retry-after']]).toEqual([503, '1']);
    expect(reply(await request(h.app).get('/readyz')).status).toBe(503);
    // Invalid input is still a 400: the store only matters for what would be stored.
    expect((await post(h, '/v1/collect', { event: {} })).status).toBe(400);
    const metrics = await h.registry.metrics();
    expect(metrics).toContain('capconnect_redis_up 0');
    expect(metrics).toContain('capconnect_ingest_events_total{outcome="unavailable"} 3');

    await redis.start();
    await expect.poll(async () => (await request(h.app).get('/readyz')).status, { timeout: 10_000 }).toBe(200);
    const after = await post(h, '/v1/collect', purchase('during'));
    expect([after.status, after.body.status]).toEqual([202, 'queued']);
    // The events refused during the outage were not stored: only `before` and `during` exist.
    expect(await h.producer.queues.meta.count()).toBe(2);
    expect(await h.registry.metrics()).toContain('capconnect_redis_up 1');
  });

  it('answers 503 when Redis is out of memory, and counts it as unavailable', async () => {
    const redis = await startPrivateRedis({ maxMemoryBytes: 3 * 1024 * 1024 });
    cleanups.push(() => redis.dispose());
    const h = startHarness({ redisUrl: redis.url });
    cleanups.push(() => h.close());
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.quit());
    // A script is not stopped at maxmemory once running, so one script fills Redis past its limit.
    await admin.eval("for i = 1, 4000 do redis.call('set', 'fill:' .. i, string.rep('x', 1024)) end return 0", 0);
    await expect(admin.set('probe', 'x')).rejects.toThrow(/OOM/);
    const res = await post(h, '/v1/collect', purchase('oom'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(await h.registry.metrics()).toContain('capconnect_ingest_events_total{outcome="unavailable"} 1');
  });
});
