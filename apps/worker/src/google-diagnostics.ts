import type { Config } from '@capconnect/config';
import {
  DataManagerClient, createDataManagerTokenSource, type DataManagerCredentials, type DataManagerTokenSource, type HttpClient,
} from '@capconnect/providers';
import {
  QUEUE_PREFIX, createRequestQuota, createRequestRecords, type RedisConnection, type RequestQuota, type RequestRecords,
} from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';
import { createDiagnosticsPoller, type DiagnosticsPoller, type RequestStatusReader } from './diagnostics-poller.js';

/**
 * What the worker runs for the Data Manager path besides the dispatcher
 * (docs/architecture.md#request-quota, docs/architecture.md#request-diagnostics):
 * - the shared request quotas — `write` for `events:ingest` (hand it to `DataManagerClient` as
 *   `permits`), `read` for `requestStatus:retrieve` — and a gauge of their use;
 * - the request records (the dispatcher saves one per accepted request) and the poller.
 */
export interface GoogleDataManagerSupport {
  quotas: { write: RequestQuota; read: RequestQuota };
  records: RequestRecords;
  poller: DiagnosticsPoller;
  start(): void;
  stop(): Promise<void>;
}

/** Defaults when the configuration has no `GOOGLE_REQUESTS_PER_MINUTE` / `_PER_DAY` (Google: 300 and 100,000). */
export const DEFAULT_REQUESTS_PER_MINUTE = 250;
export const DEFAULT_REQUESTS_PER_DAY = 90_000;

/**
 * True when Google goes through the Data Manager API. `config.google.api` comes with the Data
 * Manager integration; read defensively so this module works before and after it.
 */
export function usesDataManager(config: Config): boolean {
  return config.google.enabled && (config.google as { api?: string }).api === 'data-manager';
}

/** The configured request limits, defensively (see usesDataManager). */
export function requestLimits(config: Config): { perMinute: number; perDay: number } {
  const google = config.google as { requestsPerMinute?: number; requestsPerDay?: number };
  return { perMinute: google.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE, perDay: google.requestsPerDay ?? DEFAULT_REQUESTS_PER_DAY };
}

/** Data Manager credentials from the Ads-path OAuth settings, until the integration provides its own. */
function credentialsOf(config: Config): DataManagerCredentials {
  const { auth } = config.google;
  return auth.kind === 'static'
    ? { kind: 'static', accessToken: auth.accessToken }
    : { kind: 'refresh-token', clientId: auth.clientId, clientSecret: auth.clientSecret, refreshToken: auth.refreshToken, tokenUrl: auth.tokenUri };
}

export interface GoogleDataManagerSupportOptions {
  config: Config;
  connection: RedisConnection;
  metrics: Metrics;
  logger: Logger;
  http: HttpClient;
  prefix?: string;
  /** The status reader; default a DataManagerClient built from the configuration. */
  client?: RequestStatusReader;
  tokens?: DataManagerTokenSource;
  /** How often due records are looked for, and the quota gauge refreshed (default 15 s). */
  intervalMs?: number;
}

export function createGoogleDataManagerSupport(options: GoogleDataManagerSupportOptions): GoogleDataManagerSupport {
  const { config, connection, metrics, logger } = options;
  const prefix = options.prefix ?? QUEUE_PREFIX;
  const limits = requestLimits(config);
  const quota = (operation: 'write' | 'read') => createRequestQuota(connection, {
    prefix, name: operation === 'write' ? 'google-ingest' : 'google-read', ...limits,
    onWait: (waitedMs) => { metrics.quotaWait.observe({ provider: 'google', operation }, waitedMs / 1000); },
  });
  const quotas = { write: quota('write'), read: quota('read') };
  const records = createRequestRecords(connection, { prefix, firstPollDelayMs: config.google.diagnosticsDelayMs });
  const client = options.client ?? new DataManagerClient({
    http: options.http,
    tokens: options.tokens ?? createDataManagerTokenSource(credentialsOf(config)),
    apiBaseUrl: (config.google as { dataManagerApiBaseUrl?: string }).dataManagerApiBaseUrl,
    destination: { operatingAccountId: config.google.customerId },
    validateOnly: config.google.validateOnly,
  });
  const intervalMs = options.intervalMs ?? 15_000;
  const poller = createDiagnosticsPoller({
    records, client, permits: quotas.read, metrics, logger, intervalMs, firstPollDelayMs: config.google.diagnosticsDelayMs,
  });

  let gaugeTimer: NodeJS.Timeout | undefined;
  const updateGauge = async () => {
    for (const [operation, used] of [['write', quotas.write], ['read', quotas.read]] as const) {
      const usage = await used.usage();
      metrics.quotaUsedRatio.set({ provider: 'google', operation, window: 'minute' }, usage.minute / limits.perMinute);
      metrics.quotaUsedRatio.set({ provider: 'google', operation, window: 'day' }, usage.day / limits.perDay);
    }
  };

  return {
    quotas,
    records,
    poller,
    start() {
      poller.start();
      const refresh = () => { updateGauge().catch(() => undefined); }; // Redis down: the gauge keeps its last value
      refresh();
      gaugeTimer = setInterval(refresh, intervalMs);
      gaugeTimer.unref();
    },
    async stop() {
      clearInterval(gaugeTimer);
      await poller.stop();
    },
  };
}
