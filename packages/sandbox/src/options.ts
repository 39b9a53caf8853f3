import { MAX_BODY_BYTES } from './http.js';
import type { FaultSpec } from './faults.js';

/**
 * Ids and secrets the sandbox accepts when nothing else is configured. Other packages' tests import these
 * so their configuration and the sandbox agree without copying literals.
 */
export const SANDBOX_DEFAULTS = {
  host: '127.0.0.1',
  seed: 1,
  meta: {
    apiVersion: 'v27.0',
    pixelId: '1234567890123456',
    accessToken: 'EAAsandboxMetaAccessToken',
  },
  google: {
    apiVersion: 'v24',
    customerId: '1234567890',
    developerToken: 'sandbox-developer-token',
    /** Conversion action ids known to the sandbox: "Purchase" and "Lead" in the local stack. */
    conversionActionIds: ['987654321', '987654322'],
    staticAccessToken: 'ya29.sandbox-static-access-token',
  },
  oauth: {
    clientId: 'sandbox-client.apps.googleusercontent.com',
    clientSecret: 'sandbox-client-secret',
    refreshToken: '1//sandbox-refresh-token',
    /** Lifetime of issued access tokens (Google issues ~3600 s; 3599 is what it reports). */
    tokenLifetimeS: 3599,
    /** Scopes the default refresh token was granted (space-separated in token responses). */
    scopes: ['https://www.googleapis.com/auth/adwords', 'https://www.googleapis.com/auth/datamanager'],
  },
  dataManager: {
    /** Google Ads customer id (digits) that owns the conversion actions. */
    operatingAccountId: '1234567890',
    /** Conversion action ids known to the Data Manager fake (the same actions as the Ads fake). */
    conversionActionIds: ['987654321', '987654322'],
    /** Bearer token valid for the Data Manager fake without OAuth (carries the datamanager scope). */
    staticAccessToken: 'ya29.sandbox-datamanager-static-token',
    scope: 'https://www.googleapis.com/auth/datamanager',
  },
} as const;

export interface SandboxMetaOptions {
  /**
   * Pixel ids (digits) that exist.
   * @defaultValue `[SANDBOX_DEFAULTS.meta.pixelId]`
   */
  pixels?: string[];
  /**
   * Access tokens that are valid for every pixel.
   * @defaultValue `[SANDBOX_DEFAULTS.meta.accessToken]`
   */
  accessTokens?: string[];
  /**
   * How far in the future an `event_time` may be, in seconds (a sandbox assumption).
   * @defaultValue 600
   */
  maxFutureSkewS?: number;
  /**
   * Versions older than this (`vNN.N`, e.g. `v26.0`) are refused with error #2635 (deprecated version).
   * @defaultValue none: every version is accepted
   */
  minApiVersion?: string;
  /**
   * When set, every answer carries `X-Ad-Api-Version-Warning` with this text (a version nearing its end).
   * @defaultValue none: no warning header
   */
  versionWarning?: string;
}

export interface SandboxGoogleOptions {
  /**
   * Customer ids (digits) that exist.
   * @defaultValue `[SANDBOX_DEFAULTS.google.customerId]`
   */
  customerIds?: string[];
  /**
   * The `developer-token` header value required.
   * @defaultValue `SANDBOX_DEFAULTS.google.developerToken`
   */
  developerToken?: string;
  /**
   * When set, every request must carry this `login-customer-id` header (digits).
   * @defaultValue none: not required
   */
  loginCustomerId?: string;
  /**
   * Known conversion action ids (digits).
   * @defaultValue `SANDBOX_DEFAULTS.google.conversionActionIds`
   */
  conversionActions?: string[];
  /**
   * Bearer tokens valid without OAuth (never expire).
   * @defaultValue `[SANDBOX_DEFAULTS.google.staticAccessToken]`
   */
  staticAccessTokens?: string[];
}

export interface SandboxOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshTokens: string[];
  /**
   * Scopes (URLs) its refresh tokens were granted.
   * @defaultValue `SANDBOX_DEFAULTS.oauth.scopes` (Ads and Data Manager)
   */
  scopes?: string[];
}

export interface SandboxDataManagerOptions {
  /**
   * Operating accounts (Ads customer ids, digits) the credentials may use.
   * @defaultValue `[SANDBOX_DEFAULTS.dataManager.operatingAccountId]`
   */
  operatingAccountIds?: string[];
  /**
   * Manager accounts (digits) allowed as `loginAccount` of those operating accounts.
   * @defaultValue none: the login must be omitted or equal the operating account
   */
  loginAccountIds?: string[];
  /**
   * Known conversion action ids (`productDestinationId`, digits).
   * @defaultValue `SANDBOX_DEFAULTS.dataManager.conversionActionIds`
   */
  conversionActions?: string[];
  /**
   * Which of them are of type WEBPAGE (transaction id required); the others are UPLOAD_CLICKS (event source required).
   * @defaultValue none: all are UPLOAD_CLICKS
   */
  webConversionActions?: string[];
  /**
   * Bearer tokens valid without OAuth, with the datamanager scope.
   * @defaultValue `[SANDBOX_DEFAULTS.dataManager.staticAccessToken]`
   */
  staticAccessTokens?: string[];
  /**
   * Requests per minute per Cloud project (OAuth client; static tokens share one), each of ingest and retrieve.
   * @defaultValue 300
   */
  requestsPerMinute?: number;
  /**
   * Largest accepted body, in bytes; larger answers 400 "Request payload size exceeds the limit".
   * @defaultValue 10485760 (10 MiB)
   */
  maxRequestBytes?: number;
  /**
   * How long an accepted request stays PROCESSING in `requestStatus:retrieve`, in ms (sandbox clock).
   * @defaultValue 0
   */
  processingDelayMs?: number;
  /**
   * How old an event may be, in days, before EVENT_TIME_INVALID (sandbox assumption).
   * @defaultValue 90
   */
  maxEventAgeDays?: number;
  /**
   * How far ahead an event may be, in seconds, before EVENT_TIME_INVALID (sandbox assumption).
   * @defaultValue 600
   */
  maxFutureSkewS?: number;
}

export interface SandboxOAuthOptions {
  /**
   * OAuth clients and their refresh tokens.
   * @defaultValue one client from `SANDBOX_DEFAULTS.oauth`
   */
  clients?: SandboxOAuthClient[];
  /**
   * Lifetime of issued access tokens, in seconds.
   * @defaultValue 3599
   */
  tokenLifetimeS?: number;
}

export interface SandboxOptions {
  /**
   * TCP port; 0 picks a free one.
   * @defaultValue 0
   */
  port?: number;
  /**
   * Interface (host or IP) to bind.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string;
  /**
   * The Meta fake.
   * @defaultValue every `SandboxMetaOptions` default
   */
  meta?: SandboxMetaOptions;
  /**
   * The Google Ads API fake.
   * @defaultValue every `SandboxGoogleOptions` default
   */
  google?: SandboxGoogleOptions;
  /**
   * The OAuth token endpoint.
   * @defaultValue every `SandboxOAuthOptions` default
   */
  oauth?: SandboxOAuthOptions;
  /**
   * The Data Manager API fake.
   * @defaultValue every `SandboxDataManagerOptions` default
   */
  dataManager?: SandboxDataManagerOptions;
  /**
   * Seed (an integer) of the PRNG that decides ratio faults, so a test run is repeatable.
   * @defaultValue 1
   */
  seed?: number;
  /**
   * Faults active from the start (the standalone process's `--fault` flags).
   * @defaultValue `[]`
   */
  faults?: FaultSpec[];
  /**
   * Accepted events (Meta) and rows (Google) kept for inspection, per provider; beyond it they are still
   * validated, deduplicated and counted (`unrecorded`), so long benchmarks do not exhaust memory.
   * @defaultValue 500000
   */
  maxRecordedEvents?: number;
  /**
   * Largest request body read, in bytes; a larger one answers 413 `payload_too_large`, like a
   * front end that refuses a request before reading it.
   * @defaultValue 16777216 (16 MiB, `MAX_BODY_BYTES`)
   */
  maxBodyBytes?: number;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  meta: { pixels: Set<string>; accessTokens: Set<string>; maxFutureSkewS: number; minApiVersion: string | undefined; versionWarning: string | undefined };
  google: {
    customerIds: Set<string>;
    developerToken: string;
    loginCustomerId: string | undefined;
    conversionActions: Set<string>;
    staticAccessTokens: Set<string>;
  };
  oauth: { clients: SandboxOAuthClient[]; tokenLifetimeS: number };
  dataManager: {
    operatingAccountIds: Set<string>;
    loginAccountIds: Set<string>;
    conversionActions: Set<string>;
    webConversionActions: Set<string>;
    staticAccessTokens: Set<string>;
    requestsPerMinute: number;
    maxRequestBytes: number;
    processingDelayMs: number;
    maxEventAgeDays: number;
    maxFutureSkewS: number;
  };
  faults: FaultSpec[];
  maxRecordedEvents: number;
  maxBodyBytes: number;
}

export function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const d = SANDBOX_DEFAULTS;
  return {
    port: options.port ?? 0,
    host: options.host ?? d.host,
    seed: options.seed ?? d.seed,
    meta: {
      pixels: new Set(options.meta?.pixels ?? [d.meta.pixelId]),
      accessTokens: new Set(options.meta?.accessTokens ?? [d.meta.accessToken]),
      maxFutureSkewS: options.meta?.maxFutureSkewS ?? 600,
      minApiVersion: options.meta?.minApiVersion,
      versionWarning: options.meta?.versionWarning,
    },
    google: {
      customerIds: new Set(options.google?.customerIds ?? [d.google.customerId]),
      developerToken: options.google?.developerToken ?? d.google.developerToken,
      loginCustomerId: options.google?.loginCustomerId,
      conversionActions: new Set(options.google?.conversionActions ?? d.google.conversionActionIds),
      staticAccessTokens: new Set(options.google?.staticAccessTokens ?? [d.google.staticAccessToken]),
    },
    oauth: {
      clients: options.oauth?.clients ?? [
        { clientId: d.oauth.clientId, clientSecret: d.oauth.clientSecret, refreshTokens: [d.oauth.refreshToken] },
      ],
      tokenLifetimeS: options.oauth?.tokenLifetimeS ?? d.oauth.tokenLifetimeS,
    },
    dataManager: {
      operatingAccountIds: new Set(options.dataManager?.operatingAccountIds ?? [d.dataManager.operatingAccountId]),
      loginAccountIds: new Set(options.dataManager?.loginAccountIds ?? []),
      conversionActions: new Set(options.dataManager?.conversionActions ?? d.dataManager.conversionActionIds),
      webConversionActions: new Set(options.dataManager?.webConversionActions ?? []),
      staticAccessTokens: new Set(options.dataManager?.staticAccessTokens ?? [d.dataManager.staticAccessToken]),
      requestsPerMinute: options.dataManager?.requestsPerMinute ?? 300,
      maxRequestBytes: options.dataManager?.maxRequestBytes ?? 10_485_760,
      processingDelayMs: options.dataManager?.processingDelayMs ?? 0,
      maxEventAgeDays: options.dataManager?.maxEventAgeDays ?? 90,
      maxFutureSkewS: options.dataManager?.maxFutureSkewS ?? 600,
    },
    faults: options.faults ?? [],
    maxRecordedEvents: options.maxRecordedEvents ?? 500_000,
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
  };
}
