import { loadConfig, type Config } from '@capconnect/config';
import { HttpClient } from '@capconnect/providers';
import { createRedisConnection } from '@capconnect/queue';
import { createLogger, createMetrics, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createGoogleDataManagerSupport, requestLimits, usesDataManager } from './google-diagnostics.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const env = {
  WEBHOOK_SECRET: 'a-long-shared-secret-1', QUEUE_ENCRYPTION_KEY: KEY, GOOGLE_CUSTOMER_ID: '1234567890', GOOGLE_DEVELOPER_TOKEN: 'dev',
  GOOGLE_OAUTH_ACCESS_TOKEN: 'token', GOOGLE_CONVERSION_ACTION_ID: '987654321',
};
const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

const workerConfig = (extra: Record<string, string> = {}): Config => loadConfig({ ...env, ...extra }, { service: 'worker' });

describe('Google Data Manager support in the worker', () => {
  it('is on only for GOOGLE_API=data-manager and reads the configured request limits', () => {
    // A developer token without GOOGLE_API marks an existing Google Ads API setup.
    expect(usesDataManager(workerConfig())).toBe(false);
    expect(usesDataManager(workerConfig({ GOOGLE_API: 'ads-api' }))).toBe(false);
    expect(usesDataManager(workerConfig({ GOOGLE_API: 'data-manager' }))).toBe(true);
    expect(usesDataManager(workerConfig({ GOOGLE_API: 'data-manager', GOOGLE_ENABLED: 'false' }))).toBe(false);
    expect(requestLimits(workerConfig())).toEqual({ perMinute: 250, perDay: 90_000 });
    expect(requestLimits(workerConfig({ GOOGLE_REQUESTS_PER_MINUTE: '100', GOOGLE_REQUESTS_PER_DAY: '5000' }))).toEqual({ perMinute: 100, perDay: 5000 });
  });

  it('starts the poller and publishes the share of each quota used, then stops', async () => {
    const connection = createRedisConnection(testRedisUrl(), 'worker');
    connection.on('error', () => undefined);
    const http = new HttpClient({ timeoutMs: 1000 });
    cleanups.push(() => { connection.disconnect(); }, () => http.close());
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const support = createGoogleDataManagerSupport({
      config: workerConfig({ GOOGLE_API: 'data-manager', GOOGLE_REQUESTS_PER_MINUTE: '4', GOOGLE_REQUESTS_PER_DAY: '10' }), connection, metrics, http,
      logger: createLogger({ service: 'worker', destination: memoryDestination() }), prefix: freshPrefix(), intervalMs: 20,
    });
    await support.quotas.write.acquire();
    await support.quotas.write.acquire();
    await support.quotas.read.acquire();
    support.start();
    const ratio = async (operation: string, window: string) =>
      (await metrics.quotaUsedRatio.get()).values.find((v) => v.labels.operation === operation && v.labels.window === window)?.value;
    await expect.poll(() => ratio('write', 'minute'), { timeout: 5000 }).toBe(0.5);
    expect(await ratio('write', 'day')).toBe(0.2);
    expect(await ratio('read', 'minute')).toBe(0.25);
    await support.stop();
  });
});
