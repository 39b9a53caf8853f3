import { createHash } from 'node:crypto';
import {
  createKeyring, generateKeyText, type DataManagerPreparedEvent, type Keyring, type GooglePreparedEvent, type MetaPreparedEvent, type PreparedEvent, type Provider,
} from '@capconnect/core';
import {
  DataManagerClient, GoogleClient, HttpClient, MetaClient, TokenProvider, createDataManagerTokenSource, type TokenSource,
} from '@capconnect/providers';
import { Producer, createRedisConnection, type RedisConnection, type RequestPermits, type RequestRecords } from '@capconnect/queue';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { createLogger, createMetrics, memoryDestination, statusClass, type Metrics } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Registry } from 'prom-client';
import { createWorkers, type WorkerDeps, type Workers } from '../workers.js';

export const sha = (value: string): string => createHash('sha256').update(value).digest('hex');
export const nowS = (): number => Math.floor(Date.now() / 1000);

export function metaEvent(eventId: string, overrides: Partial<MetaPreparedEvent['event']> = {}): MetaPreparedEvent {
  return {
    provider: 'meta',
    event: { eventName: 'Purchase', eventId, eventTime: nowS() - 60, value: 4980, currency: 'JPY', orderId: eventId, actionSource: 'website', ...overrides },
    userData: { em: [sha('john_smith@gmail.com')], ph: [sha('16505551212')] },
    match: { clientIpAddress: '203.0.113.7', clientUserAgent: `Mozilla/5.0 canary-${eventId}`, eventSourceUrl: 'https://shop.example.com/thanks' },
  };
}

export function googleEvent(eventId: string, overrides: Partial<GooglePreparedEvent> = {}): GooglePreparedEvent {
  return {
    provider: 'google',
    event: { eventName: 'Purchase', eventId, eventTime: nowS() - 8 * 3600, value: 125.5, currency: 'USD', orderId: eventId, actionSource: 'website' },
    mode: 'click',
    conversionActionId: SANDBOX_DEFAULTS.google.conversionActionIds[0],
    adUserDataConsent: 'GRANTED',
    digests: { hashedEmail: [sha('alexz@example.com')] },
    match: { gclid: `Cj0KCQ-canary-${eventId.replace(/[^A-Za-z0-9_-]/g, '')}` },
    ...overrides,
  };
}

export function dataManagerEvent(eventId: string, overrides: Partial<DataManagerPreparedEvent> = {}): DataManagerPreparedEvent {
  return {
    provider: 'google',
    api: 'data-manager',
    event: { eventName: 'Purchase', eventId, eventTime: nowS() - 3600, value: 49.9, currency: 'EUR', orderId: eventId, actionSource: 'website' },
    mode: 'click',
    conversionActionId: SANDBOX_DEFAULTS.dataManager.conversionActionIds[0],
    eventSource: 'WEB',
    transactionId: eventId,
    consent: { adUserData: 'GRANTED' },
    digests: { emailAddress: [sha('dana@example.com')] },
    match: { gclid: `Cj0KCQ-canary-${eventId.replace(/[^A-Za-z0-9_-]/g, '')}` },
    ...overrides,
  };
}

export interface Harness {
  sandbox: Sandbox;
  prefix: string;
  producer: Producer;
  /** The keyring the producer seals with (to hand-craft jobs). */
  keyring: Keyring;
  metrics: Metrics;
  registry: Registry;
  logLines: string[];
  workers: Workers;
  connection: RedisConnection;
  enqueue(events: readonly PreparedEvent[]): Promise<void>;
  counts(provider: Provider): Promise<Record<string, number>>;
  metric(name: string, labels: Record<string, string>): Promise<number>;
  waitFor(check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  startWorkers(overrides?: Partial<WorkerDeps>): Workers;
  close(): Promise<void>;
}

export interface HarnessOptions {
  deps?: Partial<WorkerDeps>;
  maxAttempts?: number;
  httpTimeoutMs?: number;
  googleAuth?: 'static' | 'refresh';
  metaBatchMax?: number;
  googleBatchMax?: number;
  /** `data-manager`: the Google queue is delivered through the Data Manager fake. Default `ads-api`. */
  googleApi?: 'data-manager' | 'ads-api';
  dataManager?: { permits?: RequestPermits; records?: Pick<RequestRecords, 'save'>; validateOnly?: boolean; maxRequestBytes?: number };
}

/** Producer → Redis (fresh prefix) → createWorkers → sandbox, all in this process. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0 });
  const keyText = generateKeyText();
  const keyring = createKeyring(keyText);
  const prefix = freshPrefix();
  const producerConnection = createRedisConnection(testRedisUrl(), 'producer');
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  const producer = new Producer({ connection: producerConnection, prefix, keyring, policy: { maxAttempts: options.maxAttempts ?? 5, completedRetentionS: 600, failedRetentionS: 600 } });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const destination = memoryDestination();
  const logger = createLogger({ service: 'worker', destination, level: 'info' });
  const http = new HttpClient({ timeoutMs: options.httpTimeoutMs ?? 2000 });
  const onRequest = (record: { provider: 'meta' | 'google'; httpStatus: number | undefined; durationMs: number; batchSize: number }) => {
    metrics.providerRequests.inc({ provider: record.provider, status_class: statusClass(record.httpStatus) });
    metrics.providerBatchSize.observe({ provider: record.provider }, record.batchSize);
  };
  const source: TokenSource = options.googleAuth === 'refresh'
    ? { kind: 'refresh', clientId: SANDBOX_DEFAULTS.oauth.clientId, clientSecret: SANDBOX_DEFAULTS.oauth.clientSecret, refreshToken: SANDBOX_DEFAULTS.oauth.refreshToken, tokenUri: sandbox.oauthTokenUrl }
    : { kind: 'static', accessToken: SANDBOX_DEFAULTS.google.staticAccessToken };
  const tokens = new TokenProvider({ source, http, retryMinDelayMs: 10, onRefresh: (outcome) => { metrics.oauthRefresh.inc({ outcome }); } });
  const dmTokens = createDataManagerTokenSource(options.googleAuth === 'refresh'
    ? { kind: 'refresh-token', clientId: SANDBOX_DEFAULTS.oauth.clientId, clientSecret: SANDBOX_DEFAULTS.oauth.clientSecret, refreshToken: SANDBOX_DEFAULTS.oauth.refreshToken, tokenUrl: sandbox.oauthTokenUrl }
    : { kind: 'static', accessToken: SANDBOX_DEFAULTS.dataManager.staticAccessToken }, { onRefresh: (outcome) => { metrics.oauthRefresh.inc({ outcome }); } });
  const dm = options.dataManager ?? {};
  const dataManager: WorkerDeps['dataManager'] = options.googleApi !== 'data-manager' ? undefined : {
    batchMax: options.googleBatchMax ?? 2000,
    validateOnly: dm.validateOnly ?? false,
    permits: dm.permits,
    records: dm.records,
    client: new DataManagerClient({
      http, tokens: dmTokens, apiBaseUrl: sandbox.dataManagerBaseUrl, validateOnly: dm.validateOnly ?? false, maxEventsPerRequest: options.googleBatchMax ?? 2000,
      maxRequestBytes: dm.maxRequestBytes, onRequest, permits: dm.permits, destination: { operatingAccountId: SANDBOX_DEFAULTS.dataManager.operatingAccountId },
    }),
  };
  const baseDeps: WorkerDeps = {
    connection, prefix, keyring, metrics, logger,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
    retention: { completedRetentionS: 600, failedRetentionS: 600 },
    concurrency: 1000,
    googleConcurrency: options.googleBatchMax ?? 2000,
    batchLingerMs: 50,
    lockDurationMs: 5000,
    stalledIntervalMs: 2000,
    blockedRetryMs: 300,
    queueDepthIntervalMs: 0,
    meta: {
      batchMax: options.metaBatchMax ?? 500,
      client: new MetaClient({ http, apiBaseUrl: sandbox.metaBaseUrl, apiVersion: SANDBOX_DEFAULTS.meta.apiVersion, pixelId: SANDBOX_DEFAULTS.meta.pixelId, accessToken: SANDBOX_DEFAULTS.meta.accessToken, onRequest }),
    },
    google: {
      batchMax: options.googleBatchMax ?? 2000, customerId: SANDBOX_DEFAULTS.google.customerId, timeZone: 'Asia/Tokyo',
      client: new GoogleClient({
        http, tokens, apiBaseUrl: sandbox.googleAdsBaseUrl, apiVersion: SANDBOX_DEFAULTS.google.apiVersion, customerId: SANDBOX_DEFAULTS.google.customerId,
        developerToken: SANDBOX_DEFAULTS.google.developerToken, validateOnly: false, onRequest,
      }),
    },
    ...(dataManager !== undefined && { dataManager }),
    ...options.deps,
  };
  const started: Workers[] = [];
  const startWorkers = (overrides: Partial<WorkerDeps> = {}) => {
    const workers = createWorkers({ ...baseDeps, ...overrides });
    started.push(workers);
    return workers;
  };
  const workers = startWorkers();

  const harness: Harness = {
    sandbox, keyring, prefix, producer, metrics, registry, logLines: destination.lines, workers, connection, startWorkers,
    async enqueue(events) {
      await producer.enqueue(events.map((prepared) => ({ eventId: prepared.event.eventId, prepared: [prepared] })));
    },
    async counts(provider) {
      return producer.queues[provider].getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    },
    async metric(name, labels) {
      const metric = registry.getSingleMetric(name);
      if (metric === undefined) return 0;
      const data = await metric.get();
      return data.values
        .filter((value) => Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected))
        .reduce((sum, value) => sum + value.value, 0);
    },
    async waitFor(check, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error('waitFor timed out');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      for (const instance of started) await instance.close(2000);
      await producer.close();
      producerConnection.disconnect();
      connection.disconnect();
      await http.close();
      await sandbox.close();
    },
  };
  return harness;
}

export const keyTextForChild = generateKeyText;
