/**
 * The configuration CapConnect's services run with, every field documented once with its variable,
 * unit and default (docs/architecture.md#configuration). `loadConfig` (config.ts) builds it from the
 * environment.
 */

export type Service = 'api' | 'worker' | 'cli';
/** `GOOGLE_CONVERSION_ACTIONS` modes: `click`, `leads`, `web` (Data Manager) and `enhancement` (Google Ads API only). */
export type GoogleMode = 'click' | 'leads' | 'web' | 'enhancement';
export type GoogleApi = 'data-manager' | 'ads-api';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RetryPolicy {
  /**
   * Attempts per job, the first delivery included (`RETRY_MAX_ATTEMPTS`, 1–100).
   * @defaultValue 12
   */
  maxAttempts: number;
  /**
   * Base of the exponential backoff, in ms (`RETRY_BASE_DELAY_MS`).
   * @defaultValue 1000
   */
  baseDelayMs: number;
  /**
   * Cap of one backoff delay, in ms (`RETRY_MAX_DELAY_MS`).
   * @defaultValue 600000 (10 minutes)
   */
  maxDelayMs: number;
}

export interface MetaConfig {
  /**
   * `META_ENABLED`.
   * @defaultValue true when `META_PIXEL_ID` or `META_ACCESS_TOKEN` is set
   */
  enabled: boolean;
  /**
   * `META_PIXEL_ID`, digits; required when Meta is enabled.
   * @defaultValue `''`
   */
  pixelId: string;
  /**
   * `META_ACCESS_TOKEN`; required when Meta is enabled.
   * @defaultValue `''`
   */
  accessToken: string;
  /**
   * Graph API version, `vNN.N` (`META_API_VERSION`), the newest (docs/platforms.md#meta-endpoint-and-version).
   * @defaultValue `'v27.0'`
   */
  apiVersion: string;
  /**
   * `META_TEST_EVENT_CODE`: sends events to Events Manager's Test events.
   * @defaultValue unset
   */
  testEventCode?: string;
  /**
   * `META_API_BASE_URL`, a URL without trailing slash.
   * @defaultValue `'https://graph.facebook.com'`
   */
  apiBaseUrl: string;
  /**
   * Events per request (`META_BATCH_MAX`); Meta's cap is 1000 (docs/platforms.md#meta-request-limits).
   * @defaultValue 500
   */
  batchMax: number;
}

export type GoogleAuth =
  | { kind: 'static'; accessToken: string }
  | { kind: 'refresh'; clientId: string; clientSecret: string; refreshToken: string; tokenUri: string };

/** Credentials for the Data Manager path, in the order they are looked for (docs/platforms.md#dm-auth). */
export type DataManagerCredentialsConfig =
  /** `GOOGLE_OAUTH_ACCESS_TOKEN`: a fixed token (tests). */
  | { kind: 'static'; accessToken: string }
  /** `GOOGLE_OAUTH_CLIENT_ID/SECRET/REFRESH_TOKEN` (+ `GOOGLE_OAUTH_TOKEN_URI`). */
  | { kind: 'refresh-token'; clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string }
  /** `GOOGLE_APPLICATION_CREDENTIALS`: a service account key or authorized-user file. */
  | { kind: 'key-file'; keyFile: string; tokenUrl?: string }
  /** Nothing set: application default credentials (workload identity on GKE, gcloud's login). */
  | { kind: 'adc'; tokenUrl?: string };

export interface DataManagerConfig {
  /**
   * `DATA_MANAGER_API_BASE_URL`, a URL without trailing slash.
   * @defaultValue `'https://datamanager.googleapis.com'`
   */
  apiBaseUrl: string;
  /**
   * `GOOGLE_DM_MAX_REQUEST_BYTES`: request body budget, in bytes (docs/platforms.md#dm-limits).
   * @defaultValue 8388608 (8 MiB)
   */
  maxRequestBytes: number;
  /**
   * From the first of `GOOGLE_OAUTH_ACCESS_TOKEN`, the refresh-token trio, `GOOGLE_APPLICATION_CREDENTIALS`.
   * @defaultValue `{ kind: 'adc' }` (application default credentials)
   */
  credentials: DataManagerCredentialsConfig;
}

export interface GoogleConfig {
  /**
   * `GOOGLE_ENABLED`.
   * @defaultValue true when `GOOGLE_CUSTOMER_ID` or `GOOGLE_DEVELOPER_TOKEN` is set
   */
  enabled: boolean;
  /**
   * `GOOGLE_API`: which Google API delivers conversions.
   * @defaultValue `'data-manager'`; `'ads-api'` when `GOOGLE_DEVELOPER_TOKEN` or an `enhancement` action is set
   */
  api: GoogleApi;
  /**
   * How `api` was decided: `explicit` (GOOGLE_API set), `default` (a new configuration), or
   * `legacy` (unset, and a developer token or an enhancement action marks an existing Google Ads API setup).
   */
  apiChoice: 'explicit' | 'default' | 'legacy';
  dataManager: DataManagerConfig;
  /**
   * `GOOGLE_REQUESTS_PER_MINUTE`: requests the whole worker pool sends per minute (Google allows 300 per Cloud project).
   * @defaultValue 250
   */
  requestsPerMinute: number;
  /**
   * `GOOGLE_REQUESTS_PER_DAY`: requests per day for the pool (Google allows 100,000).
   * @defaultValue 90000
   */
  requestsPerDay: number;
  /**
   * `GOOGLE_WORKER_CONCURRENCY`: Google jobs one worker holds at once.
   * @defaultValue `GOOGLE_BATCH_MAX` (2000)
   */
  workerConcurrency: number;
  /**
   * `GOOGLE_CUSTOMER_ID`, digits only (dashes removed); required when Google is enabled.
   * @defaultValue `''`
   */
  customerId: string;
  /**
   * Event name → conversion action and upload mode (`GOOGLE_CONVERSION_ACTIONS`).
   * @defaultValue empty map
   */
  conversionActions: ReadonlyMap<string, { id: string; mode: GoogleMode }>;
  /**
   * Used for event names missing from the map (`GOOGLE_CONVERSION_ACTION_ID`, click mode).
   * @defaultValue unset
   */
  fallbackAction?: { id: string; mode: GoogleMode };
  /**
   * `GOOGLE_DEVELOPER_TOKEN`, Google Ads API only and optional: sent only when set (retired by Google on 2026-09-09).
   * @defaultValue unset
   */
  developerToken?: string;
  /**
   * Google Ads API credentials: the refresh-token trio (+ `GOOGLE_OAUTH_TOKEN_URI`) when set, else `GOOGLE_OAUTH_ACCESS_TOKEN`.
   * @defaultValue `{ kind: 'static', accessToken: '' }`; `tokenUri` defaults to `'https://oauth2.googleapis.com/token'`
   */
  auth: GoogleAuth;
  /**
   * `GOOGLE_LOGIN_CUSTOMER_ID`, digits: the manager account of the credentials.
   * @defaultValue unset
   */
  loginCustomerId?: string;
  /**
   * Google Ads API major version, `vNN` (`GOOGLE_API_VERSION`; docs/platforms.md#google-ads-status-in-2026: v22 and older are sunset).
   * @defaultValue `'v26'`
   */
  apiVersion: string;
  /**
   * `GOOGLE_VALIDATE_ONLY`: Google checks requests without recording them.
   * @defaultValue false
   */
  validateOnly: boolean;
  /**
   * `GOOGLE_ADS_API_BASE_URL`, a URL without trailing slash.
   * @defaultValue `'https://googleads.googleapis.com'`
   */
  apiBaseUrl: string;
  /**
   * Events per request (`GOOGLE_BATCH_MAX`, both APIs' cap is 2000, docs/platforms.md#google-request-limits).
   * @defaultValue 2000
   */
  batchMax: number;
  /**
   * IANA time zone of the Ads account, for `conversionDateTime` (`GOOGLE_TIME_ZONE`).
   * @defaultValue `'UTC'`
   */
  timeZone: string;
  /**
   * `GOOGLE_DIAGNOSTICS_DELAY_S` converted to ms: first `requestStatus:retrieve` after sending, and the poll backoff base (docs/architecture.md#request-diagnostics).
   * @defaultValue 1800000 (`GOOGLE_DIAGNOSTICS_DELAY_S` 1800, 30 minutes)
   */
  diagnosticsDelayMs: number;
}

export interface Config {
  service: Service;
  /**
   * Public HTTP port of the api, a TCP port (`PORT`).
   * @defaultValue 3000
   */
  port: number;
  /**
   * `REDIS_URL`.
   * @defaultValue `'redis://127.0.0.1:6379'`
   */
  redisUrl: string;
  /**
   * Queue shards per provider (`QUEUE_SHARDS`); 1 keeps the single `{capconnect}` queues.
   * @defaultValue 1
   */
  queueShards: number;
  /**
   * The shards this worker process consumes, by index (`WORKER_SHARDS`).
   * @defaultValue every shard, `0` to `QUEUE_SHARDS - 1`
   */
  workerShards: number[];
  /**
   * Replicas that must have a request's jobs before the api answers 202 (`QUEUE_WAIT_REPLICAS`).
   * @defaultValue 0 (no `WAIT`)
   */
  queueWaitReplicas: number;
  /**
   * How long the api waits for those replicas, in ms (`QUEUE_WAIT_TIMEOUT_MS`).
   * @defaultValue 500
   */
  queueWaitTimeoutMs: number;
  /** Accepted shared secrets, current and rotating-out (`WEBHOOK_SECRET`, comma-separated); required by the api. */
  webhookSecrets: string[];
  /**
   * `WEBHOOK_SIGNING_SECRET`: when set, requests must be signed.
   * @defaultValue unset
   */
  webhookSigningSecret?: string;
  /** Base64 32-byte keys, comma-separated; the first seals (`QUEUE_ENCRYPTION_KEY`); required by the api and workers. */
  queueEncryptionKey: string;
  /**
   * Calling code for phone numbers without one, digits only (`DEFAULT_COUNTRY_CODE`).
   * @defaultValue `'81'`
   */
  defaultCountryCode: string;
  /**
   * ISO 4217 code for events with a value but no currency (`DEFAULT_CURRENCY`).
   * @defaultValue `'JPY'`
   */
  defaultCurrency: string;
  /**
   * Timeout of one provider request, in ms (`HTTP_TIMEOUT_MS`).
   * @defaultValue 10000
   */
  httpTimeoutMs: number;
  retry: RetryPolicy;
  /**
   * Items per `/v1/collect/batch` request (`BATCH_MAX_EVENTS`).
   * @defaultValue 1000
   */
  ingestBatchMaxEvents: number;
  /**
   * Largest accepted request body in bytes (`BODY_LIMIT_BYTES`; a full 1000-event batch fits).
   * @defaultValue 5242880 (5 MiB)
   */
  bodyLimitBytes: number;
  /**
   * How long a worker waits to fill a provider batch, in ms (`BATCH_LINGER_MS`).
   * @defaultValue 100
   */
  batchLingerMs: number;
  /**
   * Jobs each worker process holds at once per queue (`WORKER_CONCURRENCY`; enough to fill batches).
   * @defaultValue 1000
   */
  workerConcurrency: number;
  /**
   * Longest graceful stop on SIGTERM, in ms (`SHUTDOWN_TIMEOUT_MS`).
   * @defaultValue 25000
   */
  shutdownTimeoutMs: number;
  /**
   * BullMQ job lock, in ms (`WORKER_LOCK_DURATION_MS`): a crashed worker's jobs are taken over after it expires.
   * @defaultValue 30000
   */
  workerLockDurationMs: number;
  /**
   * How often workers look for stalled jobs, in ms (`WORKER_STALLED_INTERVAL_MS`).
   * @defaultValue 30000
   */
  workerStalledIntervalMs: number;
  /**
   * TCP port of `/metrics` (`METRICS_PORT`).
   * @defaultValue 9464 (api), 9465 (worker), 0 (cli)
   */
  metricsPort: number;
  /**
   * pino level (`LOG_LEVEL`).
   * @defaultValue `'info'`
   */
  logLevel: LogLevel;
  /**
   * How long a delivered job (and its outcome) stays readable, in seconds (`COMPLETED_RETENTION_S`).
   * @defaultValue 86400 (1 day)
   */
  completedRetentionS: number;
  /**
   * How long a failed job stays in the dead-letter queue, in seconds (`FAILED_RETENTION_S`).
   * @defaultValue 1209600 (14 days)
   */
  failedRetentionS: number;
  meta: MetaConfig;
  google: GoogleConfig;
  /** Fixed texts to log once at boot (e.g. how to leave the Google Ads API); never values. */
  notices: string[];
  /**
   * Largest request body the worker sends per provider, in bytes (`META_MAX_REQUEST_BYTES`, `GOOGLE_ADS_MAX_REQUEST_BYTES`).
   * @defaultValue `{ meta: 4194304, googleAds: 8388608 }` (4 MiB, 8 MiB)
   */
  providerRequestBytes: { meta: number; googleAds: number };
  // --- exposure and abuse limits ---
  /**
   * Interface the metrics server (and the worker's `/healthz`, `/readyz`) binds (`METRICS_HOST`).
   * @defaultValue `'127.0.0.1'`
   */
  metricsHost: string;
  /** Limits of the api's public HTTP server against slow or numerous clients. */
  httpServer: HttpServerLimits;
  /**
   * Requests that may hold a `?wait=` at once (`WAIT_MAX_CONCURRENT`); beyond it the wait is not granted.
   * @defaultValue 200
   */
  waitMaxConcurrent: number;
  /**
   * Accept the older `v1` request signature, timestamp and body only (`WEBHOOK_SIGNING_ACCEPT_V1`).
   * @defaultValue false
   */
  webhookSigningAcceptV1: boolean;
  /** The queue dashboard on the api's metrics port (docs/decisions.md#dashboard-on-metrics-port). */
  dashboard: DashboardConfig;
}

export interface DashboardConfig {
  /**
   * Serve the read-only queue dashboard under `/dashboard` on the api's metrics port (`DASHBOARD_ON_METRICS_PORT`).
   * @defaultValue false
   */
  onMetricsPort: boolean;
  /**
   * The dashboard's login token (`DASHBOARD_TOKEN`), at least 16 characters; required with `onMetricsPort`.
   * @defaultValue `''` (unset)
   */
  token: string;
}

export interface HttpServerLimits {
  /**
   * Time to receive a request's headers, in ms (`HTTP_HEADERS_TIMEOUT_MS`).
   * @defaultValue 10000
   */
  headersTimeoutMs: number;
  /**
   * Time to receive a whole request, headers and body, in ms (`HTTP_REQUEST_TIMEOUT_MS`).
   * @defaultValue 30000
   */
  requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open, in ms (`HTTP_KEEP_ALIVE_TIMEOUT_MS`).
   * @defaultValue 5000
   */
  keepAliveTimeoutMs: number;
  /**
   * Open connections at most; more are closed on arrival (`HTTP_MAX_CONNECTIONS`).
   * @defaultValue 1024
   */
  maxConnections: number;
}
