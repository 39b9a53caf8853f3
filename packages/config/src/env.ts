import { z } from 'zod';
import { MAX_QUEUE_SHARDS } from './shards.js';
import type { GoogleMode } from './types.js';

/**
 * The environment as zod reads it: every variable, its type, range and default. config.ts turns the
 * result into a `Config` and runs the checks that span several variables.
 */

const GOOGLE_MODES: ReadonlySet<string> = new Set(['click', 'leads', 'web', 'enhancement']);

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const digits = z.string().regex(/^\d+$/).or(z.string().regex(/^\d{3}-\d{3}-\d{4}$/).transform((v) => v.replaceAll('-', '')));
const httpUrl = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ''));

export const envSchema = z.object({
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

export type Env = z.infer<typeof envSchema>;

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
