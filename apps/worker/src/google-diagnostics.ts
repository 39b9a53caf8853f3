import type { Config } from '@capconnect/config';
import { DataManagerClient, createDataManagerTokenSource, type DataManagerTokenSource, type HttpClient } from '@capconnect/providers';
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

/** True when Google goes through the Data Manager API (`GOOGLE_API=data-manager`). */
export function usesDataManager(config: Config): boolean {
  return config.google.enabled && config.google.api === 'data-manager';
}

/** The pool-wide request limits (`GOOGLE_REQUESTS_PER_MINUTE` / `_PER_DAY`). */
export function requestLimits(config: Config): { perMinute: number; perDay: number } {
  return { perMinute: config.google.requestsPerMinute, perDay: config.google.requestsPerDay };
}

/** The longest pause between two looks for due records, and quota-gauge refreshes. */
export const MAX_POLL_INTERVAL_MS = 15_000;

export interface GoogleDataManagerSupportOptions {
  config: Config;
  connection: RedisConnection;
  metrics: Metrics;
  logger: Logger;
  http: HttpClient;
  prefix?: string;
  /** The status reader; default a DataManagerClient built from the configuration, with `tokens`. */
  client?: RequestStatusReader;
  /**
   * The process's Data Manager token source, shared with the dispatcher's client (one token, one
   * refresh). Default: one from `GOOGLE_*` credentials (`config.google.dataManager.credentials`).
   */
  tokens?: DataManagerTokenSource;
  /**
   * How often due records are looked for, and the quota gauge refreshed. Default
   * `GOOGLE_DIAGNOSTICS_DELAY_S`, at most 15 s: a record is polled within one interval of being due.
   */
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
  // Each event's index key goes under its queue shard (QUEUE_SHARDS), the record under the base prefix.
  const records = createRequestRecords(connection, { prefix, shards: config.queueShards, firstPollDelayMs: config.google.diagnosticsDelayMs });
  const { google } = config;
  // No `readPermits` here: the poller takes its read permit itself, with the abort signal of its stop.
  const client = options.client ?? new DataManagerClient({
    http: options.http,
    tokens: options.tokens ?? createDataManagerTokenSource(google.dataManager.credentials),
    apiBaseUrl: google.dataManager.apiBaseUrl,
    destination: { operatingAccountId: google.customerId, loginAccountId: google.loginCustomerId },
    validateOnly: google.validateOnly,
  });
  const intervalMs = options.intervalMs ?? Math.min(MAX_POLL_INTERVAL_MS, google.diagnosticsDelayMs);
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
