import { loadConfig } from '@capconnect/config';
import { generateKeyText } from '@capconnect/core';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix, startPrivateRedis, testRedisUrl, type PrivateRedis } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type StartedWorker } from './start-worker.js';

/**
 * The worker's probes as Kubernetes calls them (deploy/kubernetes): /healthz says the process
 * lives, /readyz says it can take jobs — Redis ready and every provider worker running.
 */

const servers: StartedWorker[] = [];
const privates: PrivateRedis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(privates.splice(0).map((redis) => redis.dispose()));
});

async function start(redisUrl: string): Promise<StartedWorker> {
  const config = loadConfig({
    REDIS_URL: redisUrl, QUEUE_ENCRYPTION_KEY: generateKeyText(), METRICS_PORT: '0', SHUTDOWN_TIMEOUT_MS: '1000',
    META_PIXEL_ID: '1234567890', META_ACCESS_TOKEN: 'test-token', META_API_BASE_URL: 'http://127.0.0.1:9',
  }, { service: 'worker' });
  const server = await startWorker(config, createLogger({ service: 'worker', level: 'silent', destination: memoryDestination() }), {
    prefix: freshPrefix(), host: '127.0.0.1',
  });
  servers.push(server);
  return server;
}

async function probe(server: StartedWorker, path: '/healthz' | '/readyz'): Promise<number> {
  return (await fetch(`http://127.0.0.1:${server.metricsPort}${path}`)).status;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached within 10 s');
}

describe('worker probes', () => {
  it('is ready once Redis answers and its workers run', async () => {
    const server = await start(testRedisUrl());
    await until(async () => (await probe(server, '/readyz')) === 200);
    expect(await probe(server, '/healthz')).toBe(200);
  });

  it('stays alive but not ready while Redis is down, and ready again when it is back', async () => {
    const redis = await startPrivateRedis();
    privates.push(redis);
    const server = await start(redis.url);
    await until(async () => (await probe(server, '/readyz')) === 200);

    await redis.stop();
    await until(async () => (await probe(server, '/readyz')) === 503);
    expect(await probe(server, '/healthz')).toBe(200);

    await redis.start();
    await until(async () => (await probe(server, '/readyz')) === 200);
  });
});
