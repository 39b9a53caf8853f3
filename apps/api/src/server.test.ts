import { loadConfig } from '@capconnect/config';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix, startPrivateRedis } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './server.js';
import { SECRET, purchase, testEnv } from './test/harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

async function boot(env: Record<string, string> = {}): Promise<{ server: ApiServer; lines: string[]; url: string }> {
  const destination = memoryDestination();
  const config = loadConfig(testEnv(env), { service: 'api' });
  const server = await startApiServer(config, { logger: createLogger({ service: 'api', destination }), host: '127.0.0.1', prefix: freshPrefix() });
  cleanups.push(() => server.close());
  return { server, lines: destination.lines, url: `http://127.0.0.1:${server.port}` };
}

const collect = (url: string, eventId: string, query = '') =>
  fetch(`${url}/v1/collect${query}`, {
    method: 'POST',
    headers: { 'x-capconnect-token': SECRET, 'content-type': 'application/json' },
    body: JSON.stringify(purchase(eventId, { event: { eventTime: Math.floor(Date.now() / 1000) - 60 } })),
  });

describe('startApiServer', () => {
  it('listens on PORT, serves /metrics only on METRICS_PORT, and logs one line per request', async () => {
    const { server, lines, url } = await boot();
    expect(server.port).not.toBe(server.metricsPort);
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 5000 }).toBe(200);
    expect((await collect(url, 'srv-1')).status).toBe(202);
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
    expect(metrics).toContain('capconnect_http_requests_total{route="/v1/collect",status="202"} 1');
    expect(metrics).toContain('process_resident_memory_bytes');
    const requests = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
    expect(requests.find((line) => line.route === '/v1/collect')).toMatchObject({ service: 'api', status: 202, eventIds: ['srv-1'] });
  });

  it('shuts down gracefully: refuses new connections, lets in-flight requests finish', async () => {
    const { server, url } = await boot();
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 5000 }).toBe(200);
    // No worker runs, so this request waits its full 1.5 s and then answers 202.
    const inFlight = collect(url, 'srv-2', '?wait=1.5');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = server.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect((await inFlight).status).toBe(202);
    await closed;
  });

  it('boots while Redis is down, answers 503 meanwhile, and serves once Redis is up', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.dispose());
    await redis.stop();
    const { url, lines, server } = await boot({ REDIS_URL: redis.url });
    await expect.poll(() => lines.some((line) => line.includes('redis is not reachable yet')), { timeout: 5000 }).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect(await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text()).toContain('capconnect_redis_up 0');
    const down = await collect(url, 'srv-3');
    expect([down.status, down.headers.get('retry-after')]).toEqual([503, '1']);
    await redis.start();
    await expect.poll(async () => (await collect(url, 'srv-3')).status, { timeout: 10_000 }).toBe(202);
  });

  it('warns at boot when Redis may evict queued jobs', async () => {
    const redis = await startPrivateRedis({ maxMemoryPolicy: 'allkeys-lru' });
    cleanups.push(() => redis.dispose());
    const { lines } = await boot({ REDIS_URL: redis.url });
    await expect.poll(() => lines.some((line) => line.includes('noeviction')), { timeout: 5000 }).toBe(true);
  });
});
