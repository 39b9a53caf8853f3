import type { Config } from '@capconnect/config';
import { createKeyring } from '@capconnect/core';
import {
  DataManagerClient, GoogleClient, HttpClient, MetaClient, TokenProvider, createDataManagerTokenSource, type OAuthRefreshOutcome, type RequestRecord,
} from '@capconnect/providers';
import { QUEUE_PREFIX, createRedisConnection, discoverShardPrefixes, shardPrefixes, watchRedis, type RedisConnection } from '@capconnect/queue';
import { createMetrics, startMetricsServer, statusClass, type Logger, type Metrics } from '@capconnect/telemetry';
import { Registry } from 'prom-client';
import { createGoogleDataManagerSupport, usesDataManager, type GoogleDataManagerSupport } from './google-diagnostics.js';
import { createWorkers, type WorkerDeps, type WorkerShard, type Workers } from './workers.js';

export interface StartWorkerOptions {
  /**
   * BullMQ key prefix; tests use a fresh one.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * Interface (host or IP) for the metrics server, `/healthz` and `/readyz`.
   * @defaultValue `config.metricsHost` (`METRICS_HOST`, itself `127.0.0.1` by default)
   */
  host?: string;
  /**
   * Passed through to `createWorkers`, each in ms (tests shorten locks and stalled checks).
   * @defaultValue none: the configuration's values, and `createWorkers`' defaults for the rest
   */
  overrides?: Partial<Pick<WorkerDeps, 'lockDurationMs' | 'stalledIntervalMs' | 'blockedRetryMs' | 'queueDepthIntervalMs'>>;
}

export interface StartedWorker {
  workers: Workers;
  metrics: Metrics;
  metricsPort: number;
  /** Graceful stop within `SHUTDOWN_TIMEOUT_MS`, then Redis, HTTP pools and the metrics server. */
  close(): Promise<void>;
}

/**
 * Provider request metrics: count, duration and batch size by status class. A version warning is
 * counted on every response and logged once per process and provider (it repeats on every request).
 */
export function requestObserver(metrics: Metrics, logger: Logger): (record: RequestRecord) => void {
  const warned = new Set<string>();
  return (record) => {
    const labels = { provider: record.provider, status_class: statusClass(record.httpStatus) };
    metrics.providerRequests.inc(labels);
    metrics.providerRequestDuration.observe(labels, record.durationMs / 1000);
    metrics.providerBatchSize.observe({ provider: record.provider }, record.batchSize);
    if (record.versionWarning !== undefined) {
      metrics.providerVersionWarnings.inc({ provider: record.provider });
      if (!warned.has(record.provider)) {
        warned.add(record.provider);
        logger.warn({ provider: record.provider, warning: record.versionWarning, ...(record.provider === 'meta' && { setting: 'META_API_VERSION' }) }, 'provider API version warning: move to a newer version');
      }
    }
  };
}

/**
 * Wires the worker process from a validated configuration: Redis, HTTP pool, provider clients,
 * OAuth, metrics, and one BullMQ worker per enabled provider; on the Data Manager path also the
 * pool-wide request quotas, the request records and the diagnostics poller. `main.ts` runs exactly this.
 */
export async function startWorker(config: Config, logger: Logger, options: StartWorkerOptions = {}): Promise<StartedWorker> {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const connection = createRedisConnection(config.redisUrl, 'worker', { connectionName: 'capconnect-worker' });
  watchRedis(connection, { logger, redisUp: metrics.redisUp, whileDown: 'jobs wait until it is back' });

  const http = new HttpClient({ timeoutMs: config.httpTimeoutMs });
  const onRequest = requestObserver(metrics, logger);
  const onRefresh = (outcome: OAuthRefreshOutcome) => { metrics.oauthRefresh.inc({ outcome }); };
  const deps: WorkerDeps = {
    connection,
    keyring: createKeyring(config.queueEncryptionKey),
    metrics,
    logger,
    retry: { baseDelayMs: config.retry.baseDelayMs, maxDelayMs: config.retry.maxDelayMs },
    retention: { completedRetentionS: config.completedRetentionS, failedRetentionS: config.failedRetentionS },
    lockDurationMs: config.workerLockDurationMs,
    stalledIntervalMs: config.workerStalledIntervalMs,
    concurrency: config.workerConcurrency,
    googleConcurrency: config.google.workerConcurrency,
    batchLingerMs: config.batchLingerMs,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...options.overrides,
  };
  if (config.meta.enabled) {
    const { meta } = config;
    deps.meta = {
      batchMax: meta.batchMax,
      client: new MetaClient({
        http, apiBaseUrl: meta.apiBaseUrl, apiVersion: meta.apiVersion, pixelId: meta.pixelId, accessToken: meta.accessToken,
        testEventCode: meta.testEventCode, maxRequestBytes: config.providerRequestBytes.meta, onRequest,
      }),
    };
  }
  let googleDataManager: GoogleDataManagerSupport | undefined;
  if (usesDataManager(config)) {
    const { google } = config;
    // One token source for the process: concurrent batches and the diagnostics poller share one
    // token and one refresh.
    const tokens = createDataManagerTokenSource(google.dataManager.credentials, { onRefresh });
    // The pool-wide request quotas, the request records and the diagnostics poller (google-diagnostics.ts,
    // docs/architecture.md#request-quota): every ingest request spends a `quotas.write` permit, the
    // dispatcher's gated batches included, and every accepted request is recorded for the poller.
    googleDataManager = createGoogleDataManagerSupport({
      config, connection, metrics, logger, http, tokens, ...(options.prefix !== undefined && { prefix: options.prefix }),
    });
    const permits = googleDataManager.quotas.write;
    deps.dataManager = {
      batchMax: google.batchMax,
      validateOnly: google.validateOnly,
      permits,
      records: googleDataManager.records,
      client: new DataManagerClient({
        http, tokens, apiBaseUrl: google.dataManager.apiBaseUrl, validateOnly: google.validateOnly, maxEventsPerRequest: google.batchMax,
        maxRequestBytes: google.dataManager.maxRequestBytes, onRequest, permits,
        destination: { operatingAccountId: google.customerId, loginAccountId: google.loginCustomerId },
      }),
    };
  } else if (config.google.enabled) {
    const { google } = config;
    const tokens = new TokenProvider({ source: google.auth, http, onRefresh });
    deps.google = {
      batchMax: google.batchMax, customerId: google.customerId, timeZone: google.timeZone,
      client: new GoogleClient({
        http, tokens, apiBaseUrl: google.apiBaseUrl, apiVersion: google.apiVersion, customerId: google.customerId,
        developerToken: google.developerToken, loginCustomerId: google.loginCustomerId, validateOnly: google.validateOnly,
        maxRequestBytes: config.providerRequestBytes.googleAds, onRequest,
      }),
    };
  }

  deps.shards = await workerShards(connection, config, options.prefix ?? QUEUE_PREFIX, logger);
  const workers = createWorkers(deps);
  googleDataManager?.start();
  let closing: Promise<void> | undefined;
  const metricsServer = await startMetricsServer(registry, config.metricsPort, options.host ?? config.metricsHost, {
    // Liveness for orchestrators (the worker has no public port): the process runs; Redis state is
    // reported but does not fail the probe, because restarting a worker cannot bring Redis back.
    health: () => ({ service: 'worker', redis: connection.status === 'ready', providers: { meta: config.meta.enabled, google: config.google.enabled } }),
    // Readiness: Redis answers and every provider worker is taking jobs; false from the first
    // moment of shutdown, so an orchestrator stops counting this process before it exits.
    ready: () => closing === undefined && connection.status === 'ready'
      && workers.all.every(({ worker }) => worker.isRunning()),
  });
  return {
    workers,
    metrics,
    metricsPort: metricsServer.port,
    close() {
      closing ??= (async () => {
        await googleDataManager?.stop();
        await workers.close(config.shutdownTimeoutMs);
        await http.close();
        connection.disconnect();
        await metricsServer.close();
      })();
      return closing;
    },
  };
}

/**
 * The shards this process consumes: `WORKER_SHARDS` of the current `QUEUE_SHARDS`, plus every
 * older shard found in Redis, which every worker drains whatever `WORKER_SHARDS` says
 * (docs/architecture.md#changing-the-shard-count). Older shards only appear when the count
 * changes, which restarts the workers, so one look at boot is enough; when Redis does not answer
 * within a few seconds the worker starts on the current shards and says so.
 */
async function workerShards(connection: RedisConnection, config: Config, prefix: string, logger: Logger): Promise<WorkerShard[]> {
  const current = shardPrefixes(config.queueShards, prefix);
  const mine = config.workerShards.map((index) => ({ label: String(index), prefix: current[index] ?? prefix }));
  try {
    const found = await Promise.race([
      discoverShardPrefixes(connection, prefix),
      new Promise<never>((_, reject) => setTimeout(() => { reject(new Error('timeout')); }, 5000).unref()),
    ]);
    const older = found.filter((candidate) => !current.includes(candidate));
    if (older.length > 0) logger.info({ shards: older.length }, 'draining queue shards left by an earlier QUEUE_SHARDS');
    return [...mine, ...older.map((candidate) => ({ label: candidate.slice(1, -1), prefix: candidate }))];
  } catch {
    logger.warn('could not look for queue shards left by an earlier QUEUE_SHARDS; consuming the current ones');
    return mine;
  }
}
