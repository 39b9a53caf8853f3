import type { z } from 'zod';
import { envSchema, parseConversionActions, type Env } from './env.js';
import { parseShardList } from './shards.js';
import type { Config, DataManagerCredentialsConfig, GoogleAuth, GoogleConfig, GoogleMode, MetaConfig, Service } from './types.js';

/**
 * Every environment variable CapConnect reads (docs/architecture.md#configuration), parsed once at boot. `loadConfig` either
 * returns a complete, typed configuration or throws a `ConfigError` that lists every problem at
 * once: the variable name and what is wrong, never the value.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
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
