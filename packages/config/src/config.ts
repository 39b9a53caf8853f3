import { z } from 'zod';
import { MAX_QUEUE_SHARDS, parseShardList } from './shards.js';

/**
 * Every environment variable CapConnect reads (docs/architecture.md#configuration), parsed once at boot. `loadConfig` either
 * returns a complete, typed configuration or throws a `ConfigError` that lists every problem at
 * once: the variable name and what is wrong, never the value.
 */

export type Service = 'api' | 'worker' | 'cli';
/** `GOOGLE_CONVERSION_ACTIONS` modes: `click`, `leads`, `web` (Data Manager) and `enhancement` (Google Ads API only). */
export type GoogleMode = 'click' | 'leads' | 'web' | 'enhancement';
export type GoogleApi = 'data-manager' | 'ads-api';
const GOOGLE_MODES: ReadonlySet<string> = new Set(['click', 'leads', 'web', 'enhancement']);
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

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const SECRET_KEYS = new Set([
  'webhookSecrets',
  'webhookSigningSecret',
  'queueEncryptionKey',
  'accessToken',
  'developerToken',
  'clientSecret',
  'refreshToken',
  'token',
]);

/** A copy of the configuration safe to print: every secret replaced by `[redacted]`. */
export function redactConfig(config: Config): unknown {
  const redact = (value: unknown): unknown => {
    if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [k, redact(v)]));
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, inner]) => [key, SECRET_KEYS.has(key) ? '[redacted]' : redact(inner)]),
      );
    }
    return value;
  };
  const redacted = redact(config) as Record<string, unknown>;
  // The Redis URL may carry a password.
  redacted.redisUrl = redactUrl(config.redisUrl);
  return redacted;
}

export function redactUrl(url: string): string {
  if (/^redis-(sentinel|cluster):/.test(url)) return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const digits = z.string().regex(/^\d+$/).or(z.string().regex(/^\d{3}-\d{3}-\d{4}$/).transform((v) => v.replaceAll('-', '')));
const httpUrl = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ''));

const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  // redis://, rediss:// (TLS), and the host-list forms packages/queue understands for Sentinel and Cluster.
  REDIS_URL: z.string().regex(/^(rediss?|redis-sentinel|redis-cluster):\/\/\S+$/).default('redis://127.0.0.1:6379'),
  QUEUE_SHARDS: int(1, MAX_QUEUE_SHARDS).default(1),
  WORKER_SHARDS: z.string().optional(),
  QUEUE_WAIT_REPLICAS: int(0, 5).default(0),
  QUEUE_WAIT_TIMEOUT_MS: int(1, 10_000).default(500),
  WEBHOOK_SECRET: z.string().optional(),
  WEBHOOK_SIGNING_SECRET: z.string().min(16).optional(),
  QUEUE_ENCRYPTION_KEY: z.string().optional(),
  DEFAULT_COUNTRY_CODE: z.string().regex(/^\+?\d{1,3}$/).transform((v) => v.replace('+', '')).default('81'),
  DEFAULT_CURRENCY: z.string().regex(/^[A-Za-z]{3}$/).transform((v) => v.toUpperCase()).default('JPY'),
  HTTP_TIMEOUT_MS: int(100, 600_000).default(10_000),
  RETRY_MAX_ATTEMPTS: int(1, 100).default(12),
  RETRY_BASE_DELAY_MS: int(1, 3_600_000).default(1000),
  RETRY_MAX_DELAY_MS: int(1, 86_400_000).default(600_000),
  BATCH_MAX_EVENTS: int(1, 10_000).default(1000),
  BODY_LIMIT_BYTES: int(1024, 100 * 1024 * 1024).default(5 * 1024 * 1024),
  BATCH_LINGER_MS: int(0, 60_000).default(100),
  WORKER_CONCURRENCY: int(1, 100_000).default(1000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(25_000),
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: int(1000, 600_000).default(30_000),
  METRICS_PORT: int(0, 65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  COMPLETED_RETENTION_S: int(0, 365 * 86_400).default(86_400),
  FAILED_RETENTION_S: int(0, 365 * 86_400).default(14 * 86_400),
  META_ENABLED: bool.optional(),
  META_PIXEL_ID: z.string().regex(/^\d+$/).optional(),
  META_ACCESS_TOKEN: z.string().min(1).optional(),
  META_API_VERSION: z.string().regex(/^v\d+\.\d+$/).default('v27.0'),
  META_TEST_EVENT_CODE: z.string().min(1).optional(),
  META_API_BASE_URL: httpUrl.default('https://graph.facebook.com'),
  META_BATCH_MAX: int(1, 1000).default(500),
  GOOGLE_ENABLED: bool.optional(),
  GOOGLE_CUSTOMER_ID: digits.optional(),
  GOOGLE_CONVERSION_ACTION_ID: z.string().regex(/^\d+$/).optional(),
  GOOGLE_CONVERSION_ACTIONS: z.string().optional(),
  GOOGLE_DEVELOPER_TOKEN: z.string().min(1).optional(),
  GOOGLE_OAUTH_ACCESS_TOKEN: z.string().min(1).optional(),
  GOOGLE_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_OAUTH_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_OAUTH_REFRESH_TOKEN: z.string().min(1).optional(),
  GOOGLE_OAUTH_TOKEN_URI: httpUrl.optional(),
  GOOGLE_APPLICATION_CREDENTIALS: z.string().min(1).optional(),
  GOOGLE_LOGIN_CUSTOMER_ID: digits.optional(),
  GOOGLE_API: z.enum(['data-manager', 'ads-api']).optional(),
  DATA_MANAGER_API_BASE_URL: httpUrl.default('https://datamanager.googleapis.com'),
  GOOGLE_DM_MAX_REQUEST_BYTES: int(65_536, 64 * 1024 * 1024).default(8 * 1024 * 1024),
  GOOGLE_REQUESTS_PER_MINUTE: int(1, 100_000).default(250),
  GOOGLE_REQUESTS_PER_DAY: int(1, 100_000_000).default(90_000),
  GOOGLE_WORKER_CONCURRENCY: int(1, 100_000).optional(),
  GOOGLE_API_VERSION: z.string().regex(/^v\d+$/).default('v26'),
  GOOGLE_VALIDATE_ONLY: bool.default(false),
  GOOGLE_ADS_API_BASE_URL: httpUrl.default('https://googleads.googleapis.com'),
  GOOGLE_BATCH_MAX: int(1, 2000).default(2000),
  GOOGLE_TIME_ZONE: z.string().default('UTC'),
  // Data Manager diagnostics: Google advises waiting 30 min before the first status read.
  GOOGLE_DIAGNOSTICS_DELAY_S: int(1, 86_400).default(1800),
  // Byte budget per provider request (docs/architecture.md#request-byte-budget).
  META_MAX_REQUEST_BYTES: int(64 * 1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  GOOGLE_ADS_MAX_REQUEST_BYTES: int(64 * 1024, 10_485_760).default(8 * 1024 * 1024),
  // --- exposure and abuse limits ---
  METRICS_HOST: z.string().regex(/^[\w.:-]+$/).default('127.0.0.1'),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(0, 600_000).default(5_000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(1024),
  WAIT_MAX_CONCURRENT: int(0, 100_000).default(200),
  WEBHOOK_SIGNING_ACCEPT_V1: bool.default(false),
  DASHBOARD_ON_METRICS_PORT: bool.default(false),
  // Checked only when the dashboard is on, so a short token kept for `capconnect dashboard` never stops the api.
  DASHBOARD_TOKEN: z.string().optional(),
});

type Env = z.infer<typeof envSchema>;

/** Parses `GOOGLE_CONVERSION_ACTIONS="Purchase=123:click,Lead=456:leads,Order=789:web"`. */
export function parseConversionActions(text: string, problems: string[]): Map<string, { id: string; mode: GoogleMode }> {
  const actions = new Map<string, { id: string; mode: GoogleMode }>();
  for (const [position, entry] of text.split(',').map((part) => part.trim()).filter(Boolean).entries()) {
    const match = /^([^=]+)=(\d+)(?::([a-z]+))?$/.exec(entry);
    if (!match?.[1] || !match[2] || (match[3] !== undefined && !GOOGLE_MODES.has(match[3]))) {
      problems.push(`GOOGLE_CONVERSION_ACTIONS entry #${position + 1} must look like EventName=123456:<mode>, mode one of click, leads, web, enhancement`);
      continue;
    }
    actions.set(match[1].trim(), { id: match[2], mode: (match[3] as GoogleMode | undefined) ?? 'click' });
  }
  return actions;
}

const DEFAULT_METRICS_PORT: Record<Service, number> = { api: 9464, worker: 9465, cli: 0 };

export interface LoadOptions {
  service: Service;
  /**
   * The local sandbox stack may run without `QUEUE_ENCRYPTION_KEY` and `WEBHOOK_SECRET`; it makes
   * ephemeral ones and says so. Production never does.
   * @defaultValue false
   */
  allowMissingSecrets?: boolean;
}

/** Parses and validates the environment. Throws `ConfigError` listing every problem. */
export function loadConfig(source: NodeJS.ProcessEnv, options: LoadOptions): Config {
  const env = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return buildConfig(parsed.data, options);
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${describeIssue(issue)}`);
  // Still run the cross-variable checks on everything that did parse, so one typo does not hide
  // a missing secret: boot lists every problem at once.
  const invalid = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
  const rest = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([name]) => !invalid.has(name))));
  if (rest.success) {
    try {
      buildConfig(rest.data, options);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems.filter((problem) => ![...invalid].some((name) => problem.startsWith(`${name}:`))));
    }
  }
  throw new ConfigError([...new Set(problems)]);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': return 'is missing or has the wrong type';
    case 'too_small': return `is below the minimum (${String(issue.minimum)})`;
    case 'too_big': return `is above the maximum (${String(issue.maximum)})`;
    case 'invalid_value': return 'is not one of the accepted values';
    case 'invalid_format': return `is not a valid ${issue.format}`;
    default: return 'is invalid';
  }
}

function buildConfig(env: Env, options: LoadOptions): Config {
  const problems: string[] = [];
  const required = (name: keyof Env, value: string | undefined, why: string): string => {
    if (value === undefined) problems.push(`${name}: is required ${why}`);
    return value ?? '';
  };

  const webhookSecrets = (env.WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!options.allowMissingSecrets && options.service === 'api' && webhookSecrets.length === 0) {
    problems.push('WEBHOOK_SECRET: is required (one or more comma-separated shared secrets)');
  }
  if (webhookSecrets.some((secret) => secret.length < 16)) {
    problems.push('WEBHOOK_SECRET: every secret must be at least 16 characters');
  }
  if (!options.allowMissingSecrets && options.service !== 'cli' && env.QUEUE_ENCRYPTION_KEY === undefined) {
    problems.push('QUEUE_ENCRYPTION_KEY: is required (base64 of 32 random bytes; `openssl rand -base64 32`)');
  }
  let workerShards: number[] = [];
  try {
    workerShards = parseShardList(env.WORKER_SHARDS, env.QUEUE_SHARDS);
  } catch (error) {
    problems.push(`WORKER_SHARDS: ${error instanceof Error ? error.message : 'is invalid'}`);
  }
  if (env.RETRY_BASE_DELAY_MS > env.RETRY_MAX_DELAY_MS) {
    problems.push('RETRY_BASE_DELAY_MS: must not exceed RETRY_MAX_DELAY_MS');
  }
  // Node refuses a headers timeout longer than the request timeout (the request includes its headers).
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }

  if (env.DASHBOARD_ON_METRICS_PORT && (env.DASHBOARD_TOKEN ?? '').length < 16) {
    problems.push('DASHBOARD_TOKEN: must be set to at least 16 characters when DASHBOARD_ON_METRICS_PORT is true (openssl rand -base64 32)');
  }

  const metaEnabled = env.META_ENABLED ?? (env.META_PIXEL_ID !== undefined || env.META_ACCESS_TOKEN !== undefined);
  const meta: MetaConfig = {
    enabled: metaEnabled,
    pixelId: metaEnabled ? required('META_PIXEL_ID', env.META_PIXEL_ID, 'when Meta is enabled') : env.META_PIXEL_ID ?? '',
    accessToken: metaEnabled ? required('META_ACCESS_TOKEN', env.META_ACCESS_TOKEN, 'when Meta is enabled') : env.META_ACCESS_TOKEN ?? '',
    apiVersion: env.META_API_VERSION,
    apiBaseUrl: env.META_API_BASE_URL,
    batchMax: env.META_BATCH_MAX,
    ...(env.META_TEST_EVENT_CODE !== undefined && { testEventCode: env.META_TEST_EVENT_CODE }),
  };

  const googleEnabled = env.GOOGLE_ENABLED ?? (env.GOOGLE_CUSTOMER_ID !== undefined || env.GOOGLE_DEVELOPER_TOKEN !== undefined);
  const conversionActions = parseConversionActions(env.GOOGLE_CONVERSION_ACTIONS ?? '', problems);
  const fallbackAction = env.GOOGLE_CONVERSION_ACTION_ID === undefined ? undefined : { id: env.GOOGLE_CONVERSION_ACTION_ID, mode: 'click' as const };
  const { api, apiChoice } = chooseGoogleApi(env, conversionActions);
  const notices: string[] = [];
  if (googleEnabled && apiChoice === 'legacy') notices.push(LEGACY_GOOGLE_NOTICE);
  const modes = new Set([...conversionActions.values()].map((action) => action.mode));
  if (api === 'data-manager' && modes.has('enhancement')) {
    problems.push('GOOGLE_CONVERSION_ACTIONS: the enhancement mode exists only with GOOGLE_API=ads-api; with data-manager use leads (enhanced conversions for leads) or web (tag conversions with a transaction id), or set GOOGLE_API=ads-api');
  }
  if (api === 'ads-api' && (modes.has('leads') || modes.has('web'))) {
    problems.push('GOOGLE_CONVERSION_ACTIONS: the leads and web modes need GOOGLE_API=data-manager');
  }
  const refreshParts = [env.GOOGLE_OAUTH_CLIENT_ID, env.GOOGLE_OAUTH_CLIENT_SECRET, env.GOOGLE_OAUTH_REFRESH_TOKEN];
  const hasRefresh = refreshParts.some((part) => part !== undefined);
  if (hasRefresh && refreshParts.some((part) => part === undefined) && googleEnabled) {
    problems.push('GOOGLE_OAUTH_CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET, GOOGLE_OAUTH_REFRESH_TOKEN: set all three for the refresh-token flow');
  }
  const tokenUri = env.GOOGLE_OAUTH_TOKEN_URI ?? 'https://oauth2.googleapis.com/token';
  let auth: GoogleAuth = { kind: 'static', accessToken: env.GOOGLE_OAUTH_ACCESS_TOKEN ?? '' };
  if (hasRefresh) {
    auth = {
      kind: 'refresh',
      clientId: env.GOOGLE_OAUTH_CLIENT_ID ?? '',
      clientSecret: env.GOOGLE_OAUTH_CLIENT_SECRET ?? '',
      refreshToken: env.GOOGLE_OAUTH_REFRESH_TOKEN ?? '',
      tokenUri,
    };
  } else if (googleEnabled && api === 'ads-api' && env.GOOGLE_OAUTH_ACCESS_TOKEN === undefined) {
    problems.push('GOOGLE_OAUTH_ACCESS_TOKEN: is required with GOOGLE_API=ads-api, unless GOOGLE_OAUTH_CLIENT_ID/SECRET/REFRESH_TOKEN are set');
  }
  if (googleEnabled && conversionActions.size === 0 && fallbackAction === undefined) {
    problems.push('GOOGLE_CONVERSION_ACTIONS or GOOGLE_CONVERSION_ACTION_ID: at least one conversion action is required when Google is enabled');
  }
  if (!isTimeZone(env.GOOGLE_TIME_ZONE)) problems.push('GOOGLE_TIME_ZONE: is not an IANA time zone');
  const google: GoogleConfig = {
    enabled: googleEnabled,
    api,
    apiChoice,
    customerId: googleEnabled ? required('GOOGLE_CUSTOMER_ID', env.GOOGLE_CUSTOMER_ID, 'when Google is enabled') : env.GOOGLE_CUSTOMER_ID ?? '',
    conversionActions,
    auth,
    dataManager: {
      apiBaseUrl: env.DATA_MANAGER_API_BASE_URL,
      maxRequestBytes: env.GOOGLE_DM_MAX_REQUEST_BYTES,
      credentials: dataManagerCredentials(env),
    },
    requestsPerMinute: env.GOOGLE_REQUESTS_PER_MINUTE,
    requestsPerDay: env.GOOGLE_REQUESTS_PER_DAY,
    workerConcurrency: env.GOOGLE_WORKER_CONCURRENCY ?? env.GOOGLE_BATCH_MAX,
    apiVersion: env.GOOGLE_API_VERSION,
    validateOnly: env.GOOGLE_VALIDATE_ONLY,
    apiBaseUrl: env.GOOGLE_ADS_API_BASE_URL,
    batchMax: env.GOOGLE_BATCH_MAX,
    timeZone: env.GOOGLE_TIME_ZONE,
    ...(env.GOOGLE_DEVELOPER_TOKEN !== undefined && { developerToken: env.GOOGLE_DEVELOPER_TOKEN }),
    diagnosticsDelayMs: env.GOOGLE_DIAGNOSTICS_DELAY_S * 1000,
    ...(fallbackAction && { fallbackAction }),
    ...(env.GOOGLE_LOGIN_CUSTOMER_ID !== undefined && { loginCustomerId: env.GOOGLE_LOGIN_CUSTOMER_ID }),
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    service: options.service,
    port: env.PORT,
    redisUrl: env.REDIS_URL,
    queueShards: env.QUEUE_SHARDS,
    workerShards,
    queueWaitReplicas: env.QUEUE_WAIT_REPLICAS,
    queueWaitTimeoutMs: env.QUEUE_WAIT_TIMEOUT_MS,
    webhookSecrets,
    queueEncryptionKey: env.QUEUE_ENCRYPTION_KEY ?? '',
    defaultCountryCode: env.DEFAULT_COUNTRY_CODE,
    defaultCurrency: env.DEFAULT_CURRENCY,
    httpTimeoutMs: env.HTTP_TIMEOUT_MS,
    retry: { maxAttempts: env.RETRY_MAX_ATTEMPTS, baseDelayMs: env.RETRY_BASE_DELAY_MS, maxDelayMs: env.RETRY_MAX_DELAY_MS },
    ingestBatchMaxEvents: env.BATCH_MAX_EVENTS,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    batchLingerMs: env.BATCH_LINGER_MS,
    workerConcurrency: env.WORKER_CONCURRENCY,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    workerLockDurationMs: env.WORKER_LOCK_DURATION_MS,
    workerStalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
    metricsPort: env.METRICS_PORT ?? DEFAULT_METRICS_PORT[options.service],
    logLevel: env.LOG_LEVEL,
    completedRetentionS: env.COMPLETED_RETENTION_S,
    failedRetentionS: env.FAILED_RETENTION_S,
    meta,
    google,
    notices,
    providerRequestBytes: { meta: env.META_MAX_REQUEST_BYTES, googleAds: env.GOOGLE_ADS_MAX_REQUEST_BYTES },
    metricsHost: env.METRICS_HOST,
    httpServer: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
    },
    waitMaxConcurrent: env.WAIT_MAX_CONCURRENT,
    webhookSigningAcceptV1: env.WEBHOOK_SIGNING_ACCEPT_V1,
    dashboard: { onMetricsPort: env.DASHBOARD_ON_METRICS_PORT, token: env.DASHBOARD_TOKEN ?? '' },
    ...(env.WEBHOOK_SIGNING_SECRET !== undefined && { webhookSigningSecret: env.WEBHOOK_SIGNING_SECRET }),
  };
}

/** Logged once at boot by every service while an existing Google Ads API setup is kept on that path. */
export const LEGACY_GOOGLE_NOTICE = 'Google: staying on the Google Ads API because GOOGLE_API is unset and GOOGLE_DEVELOPER_TOKEN or an '
  + 'enhancement action is configured. The Google Ads API no longer takes new conversion-import adopters; to move to the Data Manager '
  + 'API set GOOGLE_API=data-manager, replace enhancement actions with leads or web, and give the credentials the '
  + 'https://www.googleapis.com/auth/datamanager scope (README: "Moving from the Google Ads API"). Set GOOGLE_API=ads-api to silence this.';

/**
 * `GOOGLE_API` when set; otherwise the Data Manager API for a new configuration, and the Google Ads
 * API for one that is clearly an existing Ads setup (a developer token, or an enhancement action,
 * which the Data Manager path cannot take), so an upgrade never switches APIs silently.
 * docs/decisions.md#google-api-selection
 */
function chooseGoogleApi(env: Env, actions: ReadonlyMap<string, { mode: GoogleMode }>): Pick<GoogleConfig, 'api' | 'apiChoice'> {
  if (env.GOOGLE_API !== undefined) return { api: env.GOOGLE_API, apiChoice: 'explicit' };
  const enhancement = [...actions.values()].some((action) => action.mode === 'enhancement');
  if (env.GOOGLE_DEVELOPER_TOKEN !== undefined || enhancement) return { api: 'ads-api', apiChoice: 'legacy' };
  return { api: 'data-manager', apiChoice: 'default' };
}

/** Data Manager credentials: a static token, else the refresh-token trio, else a key file, else ADC. */
function dataManagerCredentials(env: Env): DataManagerCredentialsConfig {
  const tokenUrl = env.GOOGLE_OAUTH_TOKEN_URI;
  const withTokenUrl = tokenUrl === undefined ? {} : { tokenUrl };
  if (env.GOOGLE_OAUTH_ACCESS_TOKEN !== undefined) return { kind: 'static', accessToken: env.GOOGLE_OAUTH_ACCESS_TOKEN };
  if (env.GOOGLE_OAUTH_CLIENT_ID !== undefined && env.GOOGLE_OAUTH_CLIENT_SECRET !== undefined && env.GOOGLE_OAUTH_REFRESH_TOKEN !== undefined) {
    return { kind: 'refresh-token', clientId: env.GOOGLE_OAUTH_CLIENT_ID, clientSecret: env.GOOGLE_OAUTH_CLIENT_SECRET, refreshToken: env.GOOGLE_OAUTH_REFRESH_TOKEN, ...withTokenUrl };
  }
  if (env.GOOGLE_APPLICATION_CREDENTIALS !== undefined) return { kind: 'key-file', keyFile: env.GOOGLE_APPLICATION_CREDENTIALS, ...withTokenUrl };
  return { kind: 'adc', ...withTokenUrl };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
