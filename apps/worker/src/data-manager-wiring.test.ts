import { startApiServer, type ApiServer } from '@capconnect/api';
import { loadConfig } from '@capconnect/config';
import { generateKeyText } from '@capconnect/core';
import { createRedisConnection, createRequestQuota, eventDigest, shardOfEvent, shardPrefixes } from '@capconnect/queue';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type StartedWorker } from './start-worker.js';

/**
 * The production wiring of the Data Manager path, as `main.ts` runs it (`startWorker` from the
 * configuration alone, docs/architecture.md#request-quota, docs/architecture.md#request-diagnostics):
 * the dispatcher spends permits of the Redis-backed request quota, saves a record per accepted
 * request, and the poller started with the worker turns it into the diagnostics that
 * `GET /v1/events/:id` shows.
 */

const SECRET = 'wiring-secret-0123456789abcdef';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

interface EventStatusBody {
  destinations?: { provider: string; state: string; reference?: string; diagnostics?: Record<string, unknown> }[];
}

describe('worker start-up with GOOGLE_API=data-manager', () => {
  // With shards the quota and the request records stay under the base prefix, shared by every
  // shard, each event's index key goes under its own shard, and each (provider, shard) worker
  // holds its share of that provider's concurrency.
  it.each([1, 3])('spends quota permits from Redis and saves a request record whose verdict the event status shows (%i shards)', async (shards) => {
    const sandbox: Sandbox = await startSandbox({ port: 0 });
    cleanups.push(() => sandbox.close());
    const prefix = freshPrefix();
    const env = {
      REDIS_URL: testRedisUrl(), QUEUE_ENCRYPTION_KEY: generateKeyText(), WEBHOOK_SECRET: SECRET, PORT: '0', METRICS_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '2000', BATCH_LINGER_MS: '20',
      GOOGLE_API: 'data-manager', GOOGLE_CUSTOMER_ID: SANDBOX_DEFAULTS.dataManager.operatingAccountId,
      GOOGLE_CONVERSION_ACTIONS: `Purchase=${SANDBOX_DEFAULTS.dataManager.conversionActionIds[0]}:click`,
      DATA_MANAGER_API_BASE_URL: sandbox.dataManagerBaseUrl,
      // The refresh-token flow, as a deployment has it: one refresh shows the poller uses the dispatcher's token source.
      GOOGLE_OAUTH_CLIENT_ID: SANDBOX_DEFAULTS.oauth.clientId, GOOGLE_OAUTH_CLIENT_SECRET: SANDBOX_DEFAULTS.oauth.clientSecret,
      GOOGLE_OAUTH_REFRESH_TOKEN: SANDBOX_DEFAULTS.oauth.refreshToken, GOOGLE_OAUTH_TOKEN_URI: sandbox.oauthTokenUrl,
      GOOGLE_DIAGNOSTICS_DELAY_S: '1',
      QUEUE_SHARDS: String(shards), WORKER_CONCURRENCY: '10', GOOGLE_WORKER_CONCURRENCY: '100',
    };
    const destination = memoryDestination();
    const api: ApiServer = await startApiServer(loadConfig(env, { service: 'api' }), {
      logger: createLogger({ service: 'api', destination }), prefix, host: '127.0.0.1', metricsHost: '127.0.0.1',
    });
    cleanups.push(() => api.close());
    const worker: StartedWorker = await startWorker(loadConfig(env, { service: 'worker' }), createLogger({ service: 'worker', destination }), {
      prefix, host: '127.0.0.1',
    });
    cleanups.push(() => worker.close());
    expect(worker.workers.all.map((entry) => `${entry.provider}:${entry.shard.label}:${entry.worker.concurrency}`).sort())
      .toEqual(Array.from({ length: shards }, (_, shard) => `google:${shard}:${Math.ceil(100 / shards)}`));

    const apiUrl = `http://127.0.0.1:${api.port}`;
    const posted = await fetch(`${apiUrl}/v1/collect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-capconnect-token': SECRET },
      body: JSON.stringify({
        customer: { email: 'wiring@example.com' },
        event: { eventName: 'Purchase', eventId: 'wired-1', eventTime: Math.floor(Date.now() / 1000) - 60, orderId: 'wired-1', gclid: 'Cj0KCQ-wired' },
      }),
    });
    expect(posted.status).toBe(202);

    const google = async () => {
      const res = await fetch(`${apiUrl}/v1/events/wired-1`, { headers: { 'x-capconnect-token': SECRET } });
      return ((await res.json()) as EventStatusBody).destinations?.find((status) => status.provider === 'google');
    };
    await expect.poll(async () => (await google())?.diagnostics?.['state'], { timeout: 20_000, interval: 200 }).toBe('final');
    const status = await google();
    expect(status).toMatchObject({
      state: 'sent',
      diagnostics: { provider: 'google', requestId: status?.reference, eventCount: 1, requestStatus: 'SUCCESS', attempts: 1 },
    });

    // Every request the fake saw was paid for from the shared quota in Redis: one ingest, the status reads.
    const connection = createRedisConnection(testRedisUrl(), 'worker');
    cleanups.push(() => connection.quit());
    const usage = (name: string) => createRequestQuota(connection, { prefix, name, perMinute: 250, perDay: 90_000 }).usage();
    const [write, read] = await Promise.all([usage('google-ingest'), usage('google-read')]);
    expect(write).toEqual({ minute: 1, day: 1 });
    expect(read.minute).toBeGreaterThanOrEqual(1);
    expect(write.minute + read.minute).toBe(sandbox.control.dataManagerStats().requests);
    expect(sandbox.control.oauthStats().refreshes).toBe(1);

    // The record under the base prefix; the event's index key under the shard the api routed it to.
    const indexKey = (keyPrefix: string) => `${keyPrefix}:dmdiag:ev:${eventDigest('wired-1')}`;
    const eventShard = shardPrefixes(shards, prefix)[shardOfEvent('wired-1', shards)] ?? '';
    expect(await connection.exists(`${prefix}:dmdiag:req:${status?.reference ?? ''}`)).toBe(1);
    expect(await connection.exists(indexKey(eventShard))).toBe(1);
    if (shards > 1) expect(await connection.exists(indexKey(prefix))).toBe(0);
  });
});
