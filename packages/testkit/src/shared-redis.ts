import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { startPrivateRedis, waitForRedis } from './redis-server.js';

/** The Redis a whole test run shares, and how to let go of it. */
export interface SharedRedis {
  url: string;
  source: 'testcontainers' | 'REDIS_URL' | 'redis-server';
  stop: () => Promise<void>;
}

async function dockerIsReachable(): Promise<boolean> {
  if (process.env.CAPCONNECT_TEST_NO_DOCKER === '1') return false;
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false;
  try {
    await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a Redis for the test run, in this order: a testcontainers Redis when a Docker engine is
 * reachable; else the server at `REDIS_URL`; else a private `redis-server` child on a free port.
 * Tests isolate themselves with a fresh key prefix, so sharing one server is safe.
 */
export async function startSharedRedis(): Promise<SharedRedis> {
  if (await dockerIsReachable()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return { url: container.getConnectionUrl(), source: 'testcontainers', stop: async () => { await container.stop(); } };
  }
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    await waitForRedis(fromEnv, 5000);
    return { url: fromEnv, source: 'REDIS_URL', stop: () => Promise.resolve() };
  }
  const redis = await startPrivateRedis();
  return { url: redis.url, source: 'redis-server', stop: () => redis.dispose() };
}
