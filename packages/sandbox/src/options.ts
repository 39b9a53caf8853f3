import type { FaultSpec } from './faults.js';

/**
 * Ids and secrets the sandbox accepts when nothing else is configured. Other packages' tests import these
 * so their configuration and the sandbox agree without copying literals.
 */
export const SANDBOX_DEFAULTS = {
  host: '127.0.0.1',
  seed: 1,
  meta: {
    apiVersion: 'v25.0',
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
    scope: 'https://www.googleapis.com/auth/adwords',
  },
} as const;

export interface SandboxMetaOptions {
  /** Pixel ids that exist. Default: [SANDBOX_DEFAULTS.meta.pixelId]. */
  pixels?: string[];
  /** Access tokens that are valid for every pixel. Default: [SANDBOX_DEFAULTS.meta.accessToken]. */
  accessTokens?: string[];
  /** How far in the future an `event_time` may be, in seconds. Default 600 (a sandbox assumption). */
  maxFutureSkewS?: number;
}

export interface SandboxGoogleOptions {
  /** Customer ids (digits) that exist. Default: [SANDBOX_DEFAULTS.google.customerId]. */
  customerIds?: string[];
  /** The `developer-token` header value required. Default: SANDBOX_DEFAULTS.google.developerToken. */
  developerToken?: string;
  /** When set, every request must carry this `login-customer-id` header. Default: not required. */
  loginCustomerId?: string;
  /** Known conversion action ids. Default: SANDBOX_DEFAULTS.google.conversionActionIds. */
  conversionActions?: string[];
  /** Bearer tokens valid without OAuth (never expire). Default: [SANDBOX_DEFAULTS.google.staticAccessToken]. */
  staticAccessTokens?: string[];
}

export interface SandboxOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshTokens: string[];
}

export interface SandboxOAuthOptions {
  /** OAuth clients and their refresh tokens. Default: one client from SANDBOX_DEFAULTS.oauth. */
  clients?: SandboxOAuthClient[];
  /** Lifetime of issued access tokens, in seconds. Default 3599. */
  tokenLifetimeS?: number;
}

export interface SandboxOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  meta?: SandboxMetaOptions;
  google?: SandboxGoogleOptions;
  oauth?: SandboxOAuthOptions;
  /** Seed of the PRNG that decides ratio faults, so a test run is repeatable. Default 1. */
  seed?: number;
  /** Faults active from the start (the standalone process's `--fault` flags). */
  faults?: FaultSpec[];
  /**
   * Accepted events (Meta) and rows (Google) kept for inspection, per provider; beyond it they are still
   * validated, deduplicated and counted (`unrecorded`), so long benchmarks do not exhaust memory. Default 500,000.
   */
  maxRecordedEvents?: number;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  meta: { pixels: Set<string>; accessTokens: Set<string>; maxFutureSkewS: number };
  google: {
    customerIds: Set<string>;
    developerToken: string;
    loginCustomerId: string | undefined;
    conversionActions: Set<string>;
    staticAccessTokens: Set<string>;
  };
  oauth: { clients: SandboxOAuthClient[]; tokenLifetimeS: number };
  faults: FaultSpec[];
  maxRecordedEvents: number;
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
    faults: options.faults ?? [],
    maxRecordedEvents: options.maxRecordedEvents ?? 500_000,
  };
}
