import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedisConnection, type RedisConnection } from '@capconnect/queue';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard } from './app.js';
import { discoverQueues } from './discover.js';

const TOKEN = 'dashboard-test-token-0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

async function connection(): Promise<RedisConnection> {
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  await redis.ping();
  cleanups.push(async () => { redis.disconnect(); await Promise.resolve(); });
  return redis;
}

/** Queues under `prefix` and a shard prefix beside it, one job each; removed afterwards. */
async function seed(redis: RedisConnection): Promise<{ base: string; shard: string }> {
  const prefix = freshPrefix();
  const base = prefix.slice(0, -1);
  const shard = `${base}-2}`;
  for (const [queuePrefix, name] of [[prefix, 'meta'], [prefix, 'google'], [shard, 'meta']] as const) {
    const queue = new Queue(name, { connection: redis, prefix: queuePrefix });
    await queue.add('deliver', { v: 1, digest: 'a'.repeat(64) }, { jobId: `job-${name}` });
    cleanups.push(async () => { await queue.obliterate({ force: true }); await queue.close(); });
  }
  return { base, shard };
}

async function serve(dashboard: Dashboard): Promise<string> {
  const server: Server = createServer(dashboard.handler);
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  cleanups.push(async () => {
    await new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); });
    await dashboard.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function signIn(url: string, token = TOKEN): Promise<Response> {
  return fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
}

describe('queue dashboard', () => {
  it('discovers every queue under the prefix and its shard prefixes, skipping job hashes', async () => {
    const redis = await connection();
    const { base, shard } = await seed(redis);
    const refs = await discoverQueues(redis, base);
    expect(refs).toEqual([
      { prefix: `${base}}`, name: 'google' }, { prefix: `${base}}`, name: 'meta' }, { prefix: shard, name: 'meta' },
    ].sort((a, b) => `${a.prefix}:${a.name}`.localeCompare(`${b.prefix}:${b.name}`)));
  });

  it('sends a browser to the login form, refuses a wrong token, and sets an HttpOnly SameSite=Strict session', async () => {
    const redis = await connection();
    const { base } = await seed(redis);
    const url = await serve(await createDashboard({ connection: redis, token: TOKEN, prefixStart: base }));

    const anonymous = await fetch(`${url}/`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login');
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    expect((await signIn(url, 'wrong-token-0123456789')).status).toBe(401);

    const login = await signIn(url);
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0] ?? '';
    const queues = await fetch(`${url}/api/queues`, { headers: { cookie: session } });
    expect(queues.status).toBe(200);
    const body = await queues.json() as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual([`${base}-2}:meta`, `${base}}:google`, `${base}}:meta`]);
    expect(body.queues.every((queue) => queue.readOnlyMode)).toBe(true);
    expect((await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('is read-only by default; --allow-retry opens retry and remove, nothing else', async () => {
    const redis = await connection();
    const { base } = await seed(redis);
    const headers = { authorization: `Bearer ${TOKEN}` };
    const queue = encodeURIComponent(`${base}}:meta`);

    const readOnly = await serve(await createDashboard({ connection: redis, token: TOKEN, prefixStart: base }));
    expect((await fetch(`${readOnly}/api/queues/${queue}/job-meta/retry`, { method: 'PUT', headers })).status).toBe(405);
    expect((await fetch(`${readOnly}/api/queues/${queue}/job-meta/clean`, { method: 'PUT', headers })).status).toBe(405);

    const repair = await serve(await createDashboard({ connection: redis, token: TOKEN, prefixStart: base, allowRetry: true }));
    expect((await fetch(`${repair}/api/queues/${queue}/add`, { method: 'POST', headers })).status).toBe(405);
    expect((await fetch(`${repair}/api/queues/${queue}/empty`, { method: 'PUT', headers })).status).toBe(405);
    expect((await fetch(`${repair}/api/queues/${queue}/job-meta/update-data`, { method: 'PATCH', headers })).status).toBe(405);
    const removed = await fetch(`${repair}/api/queues/${queue}/job-meta/clean`, { method: 'PUT', headers });
    expect(removed.status).toBe(204);
    expect(await redis.exists(`${base}}:meta:job-meta`)).toBe(0);
  });

  it('refuses a token shorter than 16 characters', async () => {
    const redis = await connection();
    await expect(createDashboard({ connection: redis, token: 'short' })).rejects.toThrow(/DASHBOARD_TOKEN/);
  });
});
