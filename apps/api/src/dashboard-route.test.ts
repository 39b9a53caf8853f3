import { loadConfig } from '@capconnect/config';
import { QUEUE_NAMES, createRedisConnection } from '@capconnect/queue';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './server.js';
import { testEnv } from './test/harness.js';

const TOKEN = 'metrics-port-dashboard-token-0123';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

/** The meta and google queues under a fresh prefix, one job each, as the api's producer would leave them. */
async function seed(prefix: string): Promise<void> {
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  cleanups.push(async () => { redis.disconnect(); await Promise.resolve(); });
  for (const name of Object.values(QUEUE_NAMES)) {
    const queue = new Queue(name, { connection: redis, prefix });
    await queue.add('deliver', { v: 1, digest: 'a'.repeat(64) }, { jobId: `job-${name}` });
    cleanups.push(async () => { await queue.obliterate({ force: true }); await queue.close(); });
  }
}

async function boot(env: Record<string, string>, prefix = freshPrefix()): Promise<{ server: ApiServer; metricsUrl: string }> {
  const config = loadConfig(testEnv(env), { service: 'api' });
  const server = await startApiServer(config, { logger: createLogger({ service: 'api', destination: memoryDestination() }), host: '127.0.0.1', prefix });
  cleanups.push(() => server.close());
  return { server, metricsUrl: `http://127.0.0.1:${server.metricsPort}` };
}

/** Connections the dashboard route opened, by the name it gives them. */
async function dashboardClients(): Promise<number> {
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  try {
    const list = await redis.client('LIST') as string;
    return list.split('\n').filter((line) => line.includes(' name=capconnect-api-dashboard ')).length;
  } finally {
    redis.disconnect();
  }
}

describe('queue dashboard on the metrics port', () => {
  it('is off by default: /dashboard is 404 and /metrics works as before', async () => {
    const { metricsUrl } = await boot({});
    for (const path of ['/dashboard', '/dashboard/', '/dashboard/api/queues', '/dashboard/login']) {
      expect((await fetch(`${metricsUrl}${path}`, { redirect: 'manual' })).status).toBe(404);
    }
    expect((await fetch(`${metricsUrl}/metrics`)).status).toBe(200);
  });

  it('when on, needs DASHBOARD_TOKEN, lists the api\'s queues read-only, serves its assets under /dashboard, and keeps /metrics', async () => {
    const prefix = freshPrefix();
    await seed(prefix);
    const clientsBefore = await dashboardClients();
    const { server, metricsUrl } = await boot({ DASHBOARD_ON_METRICS_PORT: 'true', DASHBOARD_TOKEN: TOKEN }, prefix);
    const dashboard = `${metricsUrl}/dashboard`;
    await expect.poll(async () => (await fetch(`${dashboard}/api/queues`)).status, { timeout: 5000 }).toBe(401);

    const anonymous = await fetch(`${dashboard}/`, { redirect: 'manual' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/dashboard/login']);
    const login = await fetch(`${dashboard}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('action="/dashboard/login"');
    expect((await fetch(`${dashboard}/api/queues`, { headers: { authorization: 'Bearer wrong-token-0123456789abc' } })).status).toBe(401);

    const headers = { authorization: `Bearer ${TOKEN}` };
    const queues = await fetch(`${dashboard}/api/queues`, { headers });
    expect(queues.status).toBe(200);
    const body = await queues.json() as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual([`${prefix}:google`, `${prefix}:meta`]);
    expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);

    // The page resolves its scripts against the base path, and they are served there.
    const page = await (await fetch(`${dashboard}/`, { headers })).text();
    expect(page).toContain('<base href="/dashboard/"');
    const script = /src="(static\/js\/[^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    const served = await fetch(`${dashboard}/${script ?? ''}`, { headers });
    expect([served.status, served.headers.get('content-type')]).toEqual([200, expect.stringContaining('javascript')]);

    // Read-only always: no retry, whatever the method, and the job is untouched.
    const meta = encodeURIComponent(`${prefix}:meta`);
    for (const method of ['PUT', 'POST']) {
      expect((await fetch(`${dashboard}/api/queues/${meta}/job-meta/retry`, { method, headers })).status).toBe(405);
      expect((await fetch(`${dashboard}/api/queues/${meta}/failed/retry`, { method, headers })).status).toBe(405);
      expect((await fetch(`${dashboard}/api/queues/${meta}/job-meta/clean`, { method, headers })).status).toBe(405);
    }
    const redis = createRedisConnection(testRedisUrl(), 'worker');
    cleanups.push(async () => { redis.disconnect(); await Promise.resolve(); });
    expect(await redis.exists(`${prefix}:meta:job-meta`)).toBe(1);

    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toContain('capconnect_redis_up');
    expect(await dashboardClients()).toBeGreaterThan(clientsBefore);
    await server.close();
    await expect.poll(dashboardClients, { timeout: 5000 }).toBe(clientsBefore);
  });

  it('refuses to boot with the dashboard on and no 16-character DASHBOARD_TOKEN', () => {
    expect(() => loadConfig(testEnv({ DASHBOARD_ON_METRICS_PORT: 'true', DASHBOARD_TOKEN: 'short' }), { service: 'api' }))
      .toThrow(/DASHBOARD_TOKEN: .*DASHBOARD_ON_METRICS_PORT/);
  });
});
