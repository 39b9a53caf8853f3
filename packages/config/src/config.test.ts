import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { redactConfig } from './redact.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const base = { WEBHOOK_SECRET: 'a-long-shared-secret-1', QUEUE_ENCRYPTION_KEY: KEY };

function problemsOf(env: Record<string, string>, service: 'api' | 'worker' = 'api'): readonly string[] {
  try {
    loadConfig(env, { service });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base, { service: 'api' });
    expect(config).toMatchObject({
      port: 3000,
      redisUrl: 'redis://127.0.0.1:6379',
      defaultCountryCode: '81',
      defaultCurrency: 'JPY',
      httpTimeoutMs: 10_000,
      ingestBatchMaxEvents: 1000,
      batchLingerMs: 100,
      metricsPort: 9464,
      completedRetentionS: 86_400,
      failedRetentionS: 1_209_600,
      meta: { enabled: false, apiVersion: 'v27.0', apiBaseUrl: 'https://graph.facebook.com', batchMax: 500 },
      google: {
        enabled: false, api: 'data-manager', apiChoice: 'default', apiVersion: 'v26', apiBaseUrl: 'https://googleads.googleapis.com', batchMax: 2000,
        validateOnly: false, requestsPerMinute: 250, requestsPerDay: 90_000, workerConcurrency: 2000, diagnosticsDelayMs: 1_800_000,
        dataManager: { apiBaseUrl: 'https://datamanager.googleapis.com', maxRequestBytes: 8_388_608, credentials: { kind: 'adc' } },
      },
      notices: [],
      providerRequestBytes: { meta: 4 * 1024 * 1024, googleAds: 8 * 1024 * 1024 },
    });
    expect(loadConfig(base, { service: 'worker' }).metricsPort).toBe(9465);
  });

  it('reads GOOGLE_DIAGNOSTICS_DELAY_S (default 30 min) and refuses a value out of range', () => {
    expect(loadConfig(base, { service: 'worker' }).google.diagnosticsDelayMs).toBe(1_800_000);
    expect(loadConfig({ ...base, GOOGLE_DIAGNOSTICS_DELAY_S: '1' }, { service: 'worker' }).google.diagnosticsDelayMs).toBe(1000);
    expect(problemsOf({ ...base, GOOGLE_DIAGNOSTICS_DELAY_S: '0' }).join()).toMatch(/GOOGLE_DIAGNOSTICS_DELAY_S/);
  });

  it('accepts several webhook secrets for rotation', () => {
    const config = loadConfig({ ...base, WEBHOOK_SECRET: 'first-secret-aaaaaa, second-secret-bbbbbb' }, { service: 'api' });
    expect(config.webhookSecrets).toEqual(['first-secret-aaaaaa', 'second-secret-bbbbbb']);
  });

  it('lists every problem at once, naming variables but never echoing values', () => {
    const problems = problemsOf({
      PORT: 'not-a-port-canary',
      REDIS_URL: 'http://wrong-scheme-canary',
      META_ENABLED: 'true',
      GOOGLE_ENABLED: 'true',
      GOOGLE_CONVERSION_ACTIONS: 'Purchase=abc-canary',
    });
    const text = problems.join('\n');
    expect(text).toContain('PORT');
    expect(text).toContain('REDIS_URL');
    expect(text).not.toContain('canary');
    const second = problemsOf({ META_ENABLED: 'true', GOOGLE_ENABLED: 'true', GOOGLE_CONVERSION_ACTIONS: 'Purchase=abc-canary' });
    expect(second).toEqual(expect.arrayContaining([
      expect.stringContaining('WEBHOOK_SECRET'),
      expect.stringContaining('QUEUE_ENCRYPTION_KEY'),
      expect.stringContaining('META_PIXEL_ID'),
      expect.stringContaining('META_ACCESS_TOKEN'),
      expect.stringContaining('GOOGLE_CUSTOMER_ID'),
      expect.stringContaining('GOOGLE_CONVERSION_ACTIONS entry #1'),
    ]));
    expect(second.join('\n')).not.toContain('canary');
  });

  it('still reports missing secrets when another variable fails to parse', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual([
      expect.stringContaining('PORT'),
      expect.stringContaining('WEBHOOK_SECRET'),
      expect.stringContaining('QUEUE_ENCRYPTION_KEY'),
    ]);
    expect(problemsOf({ ...base, META_ENABLED: 'true', META_PIXEL_ID: 'not-digits' })).toEqual([
      expect.stringContaining('META_PIXEL_ID: is not a valid'),
      'META_ACCESS_TOKEN: is required when Meta is enabled',
    ]);
  });

  it('enables a provider when its credentials are present and parses Google settings', () => {
    const config = loadConfig({
      ...base,
      META_PIXEL_ID: '1234567890',
      META_ACCESS_TOKEN: 'EAAB-token',
      GOOGLE_CUSTOMER_ID: '123-456-7890',
      GOOGLE_DEVELOPER_TOKEN: 'dev-token',
      GOOGLE_OAUTH_CLIENT_ID: 'client',
      GOOGLE_OAUTH_CLIENT_SECRET: 'secret',
      GOOGLE_OAUTH_REFRESH_TOKEN: 'refresh',
      GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click, Lead=222:enhancement,Signup=333',
      GOOGLE_CONVERSION_ACTION_ID: '999',
      GOOGLE_ADS_API_BASE_URL: 'http://127.0.0.1:4000/',
    }, { service: 'worker' });
    expect(config.meta.enabled).toBe(true);
    expect(config.google.customerId).toBe('1234567890');
    expect(config.google.apiBaseUrl).toBe('http://127.0.0.1:4000');
    expect(config.google.auth).toEqual({ kind: 'refresh', clientId: 'client', clientSecret: 'secret', refreshToken: 'refresh', tokenUri: 'https://oauth2.googleapis.com/token' });
    expect([...config.google.conversionActions]).toEqual([
      ['Purchase', { id: '111', mode: 'click' }],
      ['Lead', { id: '222', mode: 'enhancement' }],
      ['Signup', { id: '333', mode: 'click' }],
    ]);
    expect(config.google.fallbackAction).toEqual({ id: '999', mode: 'click' });
  });

  it('accepts Sentinel and Cluster URLs and redacts their credentials', () => {
    const sentinel = loadConfig({ ...base, REDIS_URL: 'redis-sentinel://:pw-canary@10.0.0.1:26379,10.0.0.2:26379/mymaster' }, { service: 'api' });
    expect(sentinel.redisUrl).toContain('redis-sentinel://');
    expect(JSON.stringify(redactConfig(sentinel))).not.toContain('pw-canary');
    expect(loadConfig({ ...base, REDIS_URL: 'redis-cluster://10.0.0.1:7000,10.0.0.2:7000' }, { service: 'api' }).redisUrl).toContain('cluster');
    expect(problemsOf({ ...base, REDIS_URL: 'memcached://x' })).toEqual([expect.stringContaining('REDIS_URL')]);
  });

  it('chooses the Data Manager API for a new configuration, the Google Ads API for a legacy one (logging how to switch once)', () => {
    const dm = { ...base, GOOGLE_CUSTOMER_ID: '1234567890', GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click,Lead=222:leads,Order=333:web' };
    const fresh = loadConfig(dm, { service: 'worker' });
    expect(fresh.google).toMatchObject({ api: 'data-manager', apiChoice: 'default', dataManager: { credentials: { kind: 'adc' } } });
    expect(fresh.notices).toEqual([]);
    expect([...fresh.google.conversionActions.values()].map((action) => action.mode)).toEqual(['click', 'leads', 'web']);
    const legacy = { ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_OAUTH_ACCESS_TOKEN: 't', GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click' };
    for (const env of [{ ...legacy, GOOGLE_DEVELOPER_TOKEN: 'dev' }, { ...legacy, GOOGLE_CONVERSION_ACTIONS: 'Lead=222:enhancement' }]) {
      const config = loadConfig(env, { service: 'worker' });
      expect(config.google).toMatchObject({ api: 'ads-api', apiChoice: 'legacy' });
      expect(config.notices).toEqual([expect.stringContaining('GOOGLE_API=data-manager')]);
    }
    const explicit = loadConfig({ ...legacy, GOOGLE_DEVELOPER_TOKEN: 'dev', GOOGLE_API: 'data-manager' }, { service: 'worker' });
    expect(explicit.google).toMatchObject({ api: 'data-manager', apiChoice: 'explicit' });
    expect(explicit.notices).toEqual([]);
    // No developer token on the ads-api path: optional, and then not in the configuration at all.
    expect(loadConfig({ ...legacy, GOOGLE_API: 'ads-api' }, { service: 'worker' }).google.developerToken).toBeUndefined();
  });

  it('refuses enhancement with data-manager and leads/web with ads-api, naming the fix', () => {
    expect(problemsOf({ ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_API: 'data-manager', GOOGLE_CONVERSION_ACTIONS: 'Lead=222:enhancement' }))
      .toEqual([expect.stringMatching(/^GOOGLE_CONVERSION_ACTIONS: the enhancement mode exists only with GOOGLE_API=ads-api; with data-manager use leads/)]);
    expect(problemsOf({ ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_OAUTH_ACCESS_TOKEN: 't', GOOGLE_API: 'ads-api', GOOGLE_CONVERSION_ACTIONS: 'Lead=222:leads' }))
      .toEqual([expect.stringContaining('need GOOGLE_API=data-manager')]);
    expect(problemsOf({ ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_CONVERSION_ACTION_ID: '9', GOOGLE_CONVERSION_ACTIONS: 'Lead=222:later' }))
      .toEqual([expect.stringContaining('mode one of click, leads, web, enhancement')]);
  });

  it('reads Data Manager credentials in order: static token, refresh token, key file, application default credentials', () => {
    const dm = { ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_CONVERSION_ACTION_ID: '9' };
    const credentials = (env: Record<string, string>) => loadConfig({ ...dm, ...env }, { service: 'worker' }).google.dataManager.credentials;
    expect(credentials({ GOOGLE_OAUTH_ACCESS_TOKEN: 'tok', GOOGLE_APPLICATION_CREDENTIALS: '/k.json' })).toEqual({ kind: 'static', accessToken: 'tok' });
    expect(credentials({ GOOGLE_OAUTH_CLIENT_ID: 'c', GOOGLE_OAUTH_CLIENT_SECRET: 's', GOOGLE_OAUTH_REFRESH_TOKEN: 'r', GOOGLE_OAUTH_TOKEN_URI: 'http://127.0.0.1:9/token' }))
      .toEqual({ kind: 'refresh-token', clientId: 'c', clientSecret: 's', refreshToken: 'r', tokenUrl: 'http://127.0.0.1:9/token' });
    expect(credentials({ GOOGLE_APPLICATION_CREDENTIALS: '/etc/capconnect/key.json' })).toEqual({ kind: 'key-file', keyFile: '/etc/capconnect/key.json' });
    expect(credentials({})).toEqual({ kind: 'adc' });
    const tuned = loadConfig({
      ...dm, DATA_MANAGER_API_BASE_URL: 'http://127.0.0.1:4000/', GOOGLE_DM_MAX_REQUEST_BYTES: '1000000', GOOGLE_REQUESTS_PER_MINUTE: '60',
      GOOGLE_REQUESTS_PER_DAY: '5000', GOOGLE_BATCH_MAX: '500', GOOGLE_LOGIN_CUSTOMER_ID: '222-333-4444',
    }, { service: 'worker' }).google;
    expect(tuned).toMatchObject({
      dataManager: { apiBaseUrl: 'http://127.0.0.1:4000', maxRequestBytes: 1_000_000 }, requestsPerMinute: 60, requestsPerDay: 5000,
      workerConcurrency: 500, loginCustomerId: '2223334444',
    });
    expect(loadConfig({ ...dm, GOOGLE_WORKER_CONCURRENCY: '3000' }, { service: 'worker' }).google.workerConcurrency).toBe(3000);
  });

  it('requires all three refresh-token parts together', () => {
    expect(problemsOf({ ...base, GOOGLE_CUSTOMER_ID: '1', GOOGLE_DEVELOPER_TOKEN: 'd', GOOGLE_CONVERSION_ACTION_ID: '1', GOOGLE_OAUTH_CLIENT_ID: 'c' }))
      .toEqual([expect.stringContaining('set all three')]);
  });

  it('lets the local sandbox stack run without secrets', () => {
    expect(() => loadConfig({}, { service: 'api', allowMissingSecrets: true })).not.toThrow();
    expect(problemsOf({}, 'worker')).toEqual([expect.stringContaining('QUEUE_ENCRYPTION_KEY')]);
  });

  it('rejects an unknown time zone and a backoff base above its cap', () => {
    expect(problemsOf({ ...base, GOOGLE_TIME_ZONE: 'Mars/Olympus', RETRY_BASE_DELAY_MS: '5000', RETRY_MAX_DELAY_MS: '1000' })).toEqual([
      'RETRY_BASE_DELAY_MS: must not exceed RETRY_MAX_DELAY_MS',
      'GOOGLE_TIME_ZONE: is not an IANA time zone',
    ]);
  });
});

describe('loadConfig: exposure and abuse limits', () => {
  it('binds metrics to loopback, bounds slow clients and waiters, and accepts only v2 signatures by default', () => {
    expect(loadConfig(base, { service: 'api' })).toMatchObject({
      metricsHost: '127.0.0.1',
      httpServer: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 },
      waitMaxConcurrent: 200,
      webhookSigningAcceptV1: false,
    });
    expect(loadConfig({ ...base, METRICS_HOST: '0.0.0.0', WEBHOOK_SIGNING_ACCEPT_V1: 'true' }, { service: 'worker' }))
      .toMatchObject({ metricsHost: '0.0.0.0', webhookSigningAcceptV1: true });
    expect(problemsOf({ ...base, HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }))
      .toEqual(['HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS']);
    expect(problemsOf({ ...base, METRICS_HOST: 'evil host; rm' })).toEqual([expect.stringContaining('METRICS_HOST')]);
  });

  it('keeps the dashboard off the metrics port unless asked, and then requires a 16-character DASHBOARD_TOKEN', () => {
    expect(loadConfig(base, { service: 'api' }).dashboard).toEqual({ onMetricsPort: false, token: '' });
    // A short token kept for `capconnect dashboard` does not stop the api while the route is off.
    expect(problemsOf({ ...base, DASHBOARD_TOKEN: 'short' })).toEqual([]);
    const on = { ...base, DASHBOARD_ON_METRICS_PORT: 'true' };
    expect(loadConfig({ ...on, DASHBOARD_TOKEN: 'dashboard-token-0123456789' }, { service: 'api' }).dashboard)
      .toEqual({ onMetricsPort: true, token: 'dashboard-token-0123456789' });
    for (const token of [{}, { DASHBOARD_TOKEN: 'short-canary' }]) {
      const problems = problemsOf({ ...on, ...token });
      expect(problems).toEqual([expect.stringMatching(/^DASHBOARD_TOKEN: .*DASHBOARD_ON_METRICS_PORT/)]);
      expect(problems.join()).not.toContain('short-canary');
    }
    expect(problemsOf({ ...base, DASHBOARD_ON_METRICS_PORT: 'maybe' })).toEqual([expect.stringContaining('DASHBOARD_ON_METRICS_PORT')]);
  });
});

describe('redactConfig', () => {
  it('hides every secret, including a password in the Redis URL', () => {
    const config = loadConfig({
      ...base,
      WEBHOOK_SIGNING_SECRET: 'signing-secret-value-xyz',
      REDIS_URL: 'redis://:hunter2-redis-pass@redis.internal:6379/2',
      META_PIXEL_ID: '1',
      META_ACCESS_TOKEN: 'meta-token-value',
      GOOGLE_CUSTOMER_ID: '1',
      GOOGLE_DEVELOPER_TOKEN: 'developer-token-value',
      GOOGLE_OAUTH_ACCESS_TOKEN: 'google-token-value',
      GOOGLE_CONVERSION_ACTION_ID: '1',
      DASHBOARD_ON_METRICS_PORT: 'true',
      DASHBOARD_TOKEN: 'dashboard-token-value',
    }, { service: 'api' });
    const text = JSON.stringify(redactConfig(config));
    for (const secret of ['dashboard-token-value', 'a-long-shared-secret-1', KEY, 'signing-secret-value-xyz', 'hunter2-redis-pass', 'meta-token-value', 'developer-token-value', 'google-token-value']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('redis.internal');
  });
});
