import { readFile } from 'node:fs/promises';
import { GoogleAuth, JWT, OAuth2Client, UserRefreshClient, type AuthClient } from 'google-auth-library';
import { ConfigurationError, TransientError } from '../errors.js';
import type { OAuthRefreshOutcome } from '../google/oauth.js';
import { DM_SCOPE, dmConfigurationError } from './classify.js';

/**
 * Access tokens for the Data Manager API, scope `https://www.googleapis.com/auth/datamanager`
 * (docs/platforms.md#dm-auth), through google-auth-library (packages/providers/README.md,
 * "Data Manager API: transport"). One token is shared by all concurrent requests; concurrent
 * callers share one refresh; a token the API rejected (401) is dropped with `invalidate()` so the
 * next `accessToken()` fetches a new one. Revoked or wrong credentials are configuration errors;
 * token-endpoint outages are transient. Tokens are never logged nor put into errors.
 */
export interface DataManagerTokenSource {
  /** A token valid for a while longer, fetched (once for all callers) when needed. */
  accessToken(): Promise<string>;
  /** The API refused `rejected`: forget it unless it was already replaced. */
  invalidate(rejected: string): void;
}

export type DataManagerCredentials =
  /** A fixed token (tests, short scripts). Cannot be renewed. */
  | { kind: 'static'; accessToken: string }
  /** An OAuth client and a user's refresh token. `tokenUrl` (`GOOGLE_OAUTH_TOKEN_URI`) points at the sandbox in tests. */
  | { kind: 'refresh-token'; clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string | undefined }
  /** A credentials JSON file (`GOOGLE_APPLICATION_CREDENTIALS`): service account key or authorized user. */
  | { kind: 'key-file'; keyFile: string; tokenUrl?: string | undefined }
  /** Application default credentials: the env variable, gcloud's file, or the metadata server (workload identity). */
  | { kind: 'adc'; tokenUrl?: string | undefined };

export interface DataManagerTokenSourceOptions {
  /**
   * Renew this long before expiry, in ms.
   * @defaultValue 60000
   */
  renewBeforeMs?: number;
  /**
   * Called once per token fetch (metric `capconnect_oauth_refresh_total`).
   * @defaultValue none
   */
  onRefresh?: (outcome: OAuthRefreshOutcome) => void;
  /**
   * Clock in epoch ms, for tests.
   * @defaultValue `Date.now`
   */
  nowMs?: () => number;
}

interface Token {
  value: string;
  expiresAtMs: number;
}

/** Caching and sharing around any way of fetching a token. */
class CachedTokenSource implements DataManagerTokenSource {
  private cached: Token | undefined;
  private inFlight: Promise<Token> | undefined;
  private readonly renewBeforeMs: number;
  private readonly nowMs: () => number;

  constructor(private readonly fetchToken: () => Promise<Token>, private readonly options: DataManagerTokenSourceOptions) {
    this.renewBeforeMs = options.renewBeforeMs ?? 60_000;
    this.nowMs = options.nowMs ?? Date.now;
  }

  async accessToken(): Promise<string> {
    const cached = this.cached;
    if (cached !== undefined && cached.expiresAtMs - this.renewBeforeMs > this.nowMs()) return cached.value;
    this.inFlight ??= this.fetch().finally(() => { this.inFlight = undefined; });
    return (await this.inFlight).value;
  }

  invalidate(rejected: string): void {
    if (this.cached?.value === rejected) this.cached = undefined;
  }

  private async fetch(): Promise<Token> {
    try {
      const token = await this.fetchToken();
      this.cached = token;
      this.options.onRefresh?.('success');
      return token;
    } catch (thrown) {
      const error = tokenError(thrown);
      this.options.onRefresh?.(error instanceof ConfigurationError
        ? error.code === 'oauth_invalid_grant' ? 'invalid_grant' : error.code === 'oauth_invalid_client' ? 'invalid_client' : 'error'
        : 'error');
      throw error;
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A google-auth-library / gaxios failure → our taxonomy, reading only status and OAuth error codes. */
export function tokenError(thrown: unknown): ConfigurationError | TransientError {
  if (thrown instanceof ConfigurationError || thrown instanceof TransientError) return thrown;
  const response = isObject(thrown) && isObject(thrown['response']) ? thrown['response'] : undefined;
  const status = typeof response?.['status'] === 'number' ? response['status'] : undefined;
  const data = isObject(response?.['data']) ? response['data'] : undefined;
  const oauthCode = typeof data?.['error'] === 'string' ? data['error'] : undefined;
  const code = isObject(thrown) && typeof thrown['code'] === 'string' ? thrown['code'] : undefined;
  if (oauthCode === 'invalid_grant') return new ConfigurationError({ code: 'oauth_invalid_grant', httpStatus: status });
  if (oauthCode === 'invalid_client' || oauthCode === 'unauthorized_client' || oauthCode === 'invalid_request' || oauthCode === 'unsupported_grant_type' || oauthCode === 'invalid_scope') {
    return new ConfigurationError({ code: 'oauth_invalid_client', httpStatus: status });
  }
  if (status !== undefined && (status === 429 || status >= 500)) return new TransientError({ code: 'oauth_error', httpStatus: status });
  if (status !== undefined) return new ConfigurationError({ code: 'oauth_error', httpStatus: status });
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return new ConfigurationError({ code: 'credentials_unreadable' });
  if (thrown instanceof SyntaxError) return new ConfigurationError({ code: 'credentials_unreadable' });
  if (thrown instanceof Error && /could not load the default credentials/i.test(thrown.message)) return new ConfigurationError({ code: 'credentials_not_found' });
  if (thrown instanceof Error && /no refresh token|invalid.*credential|must contain/i.test(thrown.message)) return new ConfigurationError({ code: 'credentials_invalid' });
  return new TransientError({ code: 'oauth_error' });
}

/** Forces the google-auth-library client to fetch a new token (our cache decided the old one is done). */
async function freshToken(client: AuthClient, nowMs: () => number): Promise<Token> {
  client.credentials = { ...client.credentials, access_token: null, expiry_date: 1 };
  const { token } = await client.getAccessToken();
  if (token === null || token === undefined || token === '') throw new TransientError({ code: 'oauth_error' });
  const granted = client.credentials.scope;
  // Google echoes the granted scopes: a refresh token minted without ours can never work.
  if (typeof granted === 'string' && granted !== '' && !granted.split(' ').includes(DM_SCOPE)) {
    throw dmConfigurationError('ACCESS_TOKEN_SCOPE_INSUFFICIENT', undefined);
  }
  const expiry = client.credentials.expiry_date;
  return { value: token, expiresAtMs: typeof expiry === 'number' && expiry > 1 ? expiry : nowMs() + 3_000_000 };
}

function endpoints(tokenUrl: string | undefined): { endpoints: { oauth2TokenUrl: string } } | Record<string, never> {
  return tokenUrl === undefined ? {} : { endpoints: { oauth2TokenUrl: tokenUrl } };
}

/**
 * A client for a credentials file, built explicitly from the two types we accept (service account
 * key, authorized user), so a file of another type (external account, executable-sourced) is
 * refused instead of being run: https://cloud.google.com/docs/authentication/external/externally-sourced-credentials
 */
async function keyFileClient(path: string, tokenUrl: string | undefined): Promise<AuthClient> {
  const json: unknown = JSON.parse(await readFile(path, 'utf8'));
  const field = (name: string): string | undefined => {
    const value = isObject(json) ? json[name] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const type = field('type');
  if (type === 'service_account') {
    const email = field('client_email');
    const key = field('private_key');
    if (email === undefined || key === undefined) throw new ConfigurationError({ code: 'credentials_invalid' });
    return new JWT({ email, key, scopes: [DM_SCOPE], ...endpoints(tokenUrl) });
  }
  if (type === 'authorized_user') {
    const clientId = field('client_id');
    const clientSecret = field('client_secret');
    const refreshToken = field('refresh_token');
    if (clientId === undefined || clientSecret === undefined || refreshToken === undefined) throw new ConfigurationError({ code: 'credentials_invalid' });
    return new UserRefreshClient({ clientId, clientSecret, refreshToken, ...endpoints(tokenUrl) });
  }
  throw new ConfigurationError({ code: 'credentials_type_unsupported' });
}

/** A token source for the given credentials (a factory: the worker makes one and shares it). */
export function createDataManagerTokenSource(credentials: DataManagerCredentials, options: DataManagerTokenSourceOptions = {}): DataManagerTokenSource {
  const nowMs = options.nowMs ?? Date.now;
  switch (credentials.kind) {
    case 'static':
      return new CachedTokenSource(() => Promise.resolve({ value: credentials.accessToken, expiresAtMs: Number.POSITIVE_INFINITY }), options);
    case 'refresh-token': {
      const client = new OAuth2Client({ clientId: credentials.clientId, clientSecret: credentials.clientSecret, ...endpoints(credentials.tokenUrl) });
      client.setCredentials({ refresh_token: credentials.refreshToken });
      return new CachedTokenSource(() => freshToken(client, nowMs), options);
    }
    case 'key-file': {
      let client: Promise<AuthClient> | undefined;
      return new CachedTokenSource(async () => {
        client ??= keyFileClient(credentials.keyFile, credentials.tokenUrl).catch((error: unknown) => { client = undefined; throw error; });
        return freshToken(await client, nowMs);
      }, options);
    }
    case 'adc': {
      // ADC is the platform's own identity (workload identity, gcloud login): trusted by construction.
      const auth = new GoogleAuth({ scopes: [DM_SCOPE], clientOptions: endpoints(credentials.tokenUrl) });
      let client: Promise<AuthClient> | undefined;
      return new CachedTokenSource(async () => {
        client ??= auth.getClient().catch((error: unknown) => { client = undefined; throw error; });
        return freshToken(await client, nowMs);
      }, options);
    }
  }
}
