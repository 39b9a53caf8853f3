import pRetry, { AbortError } from 'p-retry';
import { ConfigurationError, TransientError } from '../errors.js';
import type { HttpClient } from '../http.js';

/**
 * Google OAuth access tokens for the Ads API (docs/platforms.md#google-oauth).
 * A static token is used as is. The refresh-token flow keeps one token in memory, renews it 60 s
 * before it expires, lets any number of concurrent callers share one refresh request, and refreshes
 * at most once per rejected token. Token-endpoint hiccups (network, 5xx, 429) are retried with
 * p-retry; `invalid_grant` (revoked or expired refresh token) and client errors are configuration
 * errors that no retry can fix. Tokens are never logged and never put into error messages.
 */

export type OAuthRefreshOutcome = 'success' | 'invalid_grant' | 'invalid_client' | 'error';

export type TokenSource =
  | { kind: 'static'; accessToken: string }
  | { kind: 'refresh'; clientId: string; clientSecret: string; refreshToken: string; tokenUri: string };

export interface TokenProviderOptions {
  source: TokenSource;
  http: HttpClient;
  /**
   * Renew this long before expiry, in ms.
   * @defaultValue 60000
   */
  renewBeforeMs?: number;
  /**
   * Retries of a failing token request, a count after the first try.
   * @defaultValue 3
   */
  retries?: number;
  /**
   * First retry delay, in ms (doubling, randomized).
   * @defaultValue 200
   */
  retryMinDelayMs?: number;
  /**
   * Called once per refresh request (metric `capconnect_oauth_refresh_total`).
   * @defaultValue none
   */
  onRefresh?: (outcome: OAuthRefreshOutcome) => void;
  /**
   * Clock in epoch ms, for tests.
   * @defaultValue `Date.now`
   */
  nowMs?: () => number;
}

interface CachedToken {
  value: string;
  expiresAtMs: number;
}

export class TokenProvider {
  private cached: CachedToken | undefined;
  private refreshing: Promise<CachedToken> | undefined;
  private readonly renewBeforeMs: number;
  private readonly nowMs: () => number;

  constructor(private readonly options: TokenProviderOptions) {
    this.renewBeforeMs = options.renewBeforeMs ?? 60_000;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** A token valid for at least `renewBeforeMs` more, refreshing (once for all callers) if needed. */
  async token(): Promise<string> {
    const { source } = this.options;
    if (source.kind === 'static') return source.accessToken;
    const cached = this.cached;
    if (cached !== undefined && cached.expiresAtMs - this.renewBeforeMs > this.nowMs()) return cached.value;
    return (await this.refresh()).value;
  }

  /**
   * The API rejected `rejected` (401): get a new token, unless another caller already replaced it,
   * so N batches failing with the same stale token cause one refresh. A static token cannot be
   * renewed: that is a configuration error.
   */
  async renew(rejected: string): Promise<string> {
    const { source } = this.options;
    if (source.kind === 'static') throw new ConfigurationError({ code: 'OAUTH_TOKEN_INVALID', httpStatus: 401 });
    if (this.cached !== undefined && this.cached.value !== rejected && this.cached.expiresAtMs - this.renewBeforeMs > this.nowMs()) {
      return this.cached.value;
    }
    if (this.cached?.value === rejected) this.cached = undefined;
    return (await this.refresh()).value;
  }

  private refresh(): Promise<CachedToken> {
    this.refreshing ??= this.requestToken().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async requestToken(): Promise<CachedToken> {
    const source = this.options.source;
    if (source.kind !== 'refresh') throw new Error('static tokens are never refreshed');
    const form = new URLSearchParams({
      client_id: source.clientId, client_secret: source.clientSecret, refresh_token: source.refreshToken, grant_type: 'refresh_token',
    }).toString();
    try {
      const token = await pRetry(async () => {
        const response = await this.options.http.post(source.tokenUri, form);
        const body = typeof response.json === 'object' && response.json !== null ? response.json as Record<string, unknown> : {};
        if (response.status === 200 && typeof body['access_token'] === 'string') {
          const lifetimeS = typeof body['expires_in'] === 'number' ? body['expires_in'] : 3600;
          return { value: body['access_token'], expiresAtMs: this.nowMs() + lifetimeS * 1000 };
        }
        const error = body['error'];
        if (error === 'invalid_grant') throw new AbortError(new ConfigurationError({ code: 'oauth_invalid_grant', httpStatus: response.status }));
        if (error === 'invalid_client' || error === 'unauthorized_client' || error === 'invalid_request' || error === 'unsupported_grant_type') {
          throw new AbortError(new ConfigurationError({ code: 'oauth_invalid_client', httpStatus: response.status }));
        }
        if (response.status === 429 || response.status >= 500 || response.status === 200) {
          throw new TransientError({ code: 'oauth_error', httpStatus: response.status });
        }
        throw new AbortError(new ConfigurationError({ code: 'oauth_error', httpStatus: response.status }));
      }, {
        retries: this.options.retries ?? 3,
        minTimeout: this.options.retryMinDelayMs ?? 200,
        factor: 2,
        randomize: true,
      });
      this.cached = token;
      this.options.onRefresh?.('success');
      return token;
    } catch (error) {
      const outcome: OAuthRefreshOutcome = error instanceof ConfigurationError
        ? error.code === 'oauth_invalid_grant' ? 'invalid_grant' : error.code === 'oauth_invalid_client' ? 'invalid_client' : 'error'
        : 'error';
      this.options.onRefresh?.(outcome);
      if (error instanceof ConfigurationError) throw error;
      // Retries exhausted on network errors / 5xx: a Google-only transient error.
      throw new TransientError({ code: 'oauth_error', httpStatus: error instanceof TransientError ? error.httpStatus : undefined });
    }
  }
}
