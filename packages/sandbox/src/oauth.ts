import { randomBytes } from 'node:crypto';
import type { ActiveFault } from './faults.js';
import { isFormEncoded, isPlainObject, parseForm, tryParseJson, type IncomingCall, type Reply } from './http.js';
import { SANDBOX_DEFAULTS, type ResolvedOptions } from './options.js';
import type { SandboxState } from './state.js';
import type { OAuthErrorBody, OAuthTokenResponse } from './types.js';

/** Validity of a bearer token presented to the Google Ads fake. */
export type TokenCheck = 'valid' | 'expired' | 'revoked' | 'invalid';

interface IssuedToken {
  clientId: string;
  /** Space-separated scopes granted to the token. */
  scope: string;
  expiresAtMs: number;
  revoked: boolean;
}

/** Access tokens issued by the OAuth fake, plus configured static ones; refresh-token revocations. */
export class TokenStore {
  private readonly issued = new Map<string, IssuedToken>();
  private readonly revokedRefreshTokens = new Set<string>();

  constructor(private readonly staticTokens: ReadonlySet<string>) {}

  issue(clientId: string, nowMs: number, lifetimeS: number, scope: string = SANDBOX_DEFAULTS.oauth.scopes.join(' ')): string {
    const token = `ya29.sandbox-${randomBytes(24).toString('base64url')}`;
    this.issued.set(token, { clientId, scope, expiresAtMs: nowMs + lifetimeS * 1000, revoked: false });
    return token;
  }

  /** Who holds a valid-looking token: its OAuth client (the "Cloud project") and scopes; static tokens carry the Ads scope only. */
  holderOf(token: string): { clientId: string; scopes: string[] } | undefined {
    if (this.staticTokens.has(token)) return { clientId: 'static', scopes: [SANDBOX_DEFAULTS.oauth.scopes[0]] };
    const issued = this.issued.get(token);
    return issued === undefined ? undefined : { clientId: issued.clientId, scopes: issued.scope.split(' ') };
  }

  check(token: string, nowMs: number): TokenCheck {
    if (this.staticTokens.has(token)) return 'valid';
    const issued = this.issued.get(token);
    if (issued === undefined) return 'invalid';
    if (issued.revoked) return 'revoked';
    return nowMs >= issued.expiresAtMs ? 'expired' : 'valid';
  }

  /** Every issued access token expires now (static tokens are unaffected). */
  expireAll(nowMs: number): number {
    for (const token of this.issued.values()) token.expiresAtMs = Math.min(token.expiresAtMs, nowMs);
    return this.issued.size;
  }

  /** Every issued access token is revoked. */
  revokeAll(): number {
    for (const token of this.issued.values()) token.revoked = true;
    return this.issued.size;
  }

  revokeRefreshToken(refreshToken: string): void {
    this.revokedRefreshTokens.add(refreshToken);
  }

  isRefreshTokenRevoked(refreshToken: string): boolean {
    return this.revokedRefreshTokens.has(refreshToken);
  }

  /** Restores revoked refresh tokens; issued access tokens stay as they are so long-lived clients keep working. */
  resetRevocations(): void {
    this.revokedRefreshTokens.clear();
  }
}

export interface OAuthContext {
  options: ResolvedOptions;
  state: SandboxState;
  tokens: TokenStore;
}

function oauthError(status: number, error: OAuthErrorBody['error'], description: string): Reply {
  const body: OAuthErrorBody = { error, error_description: description };
  return { status, body };
}

const INVALID_GRANT = (): Reply => oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');

/** Answers for OAuth-specific faults; undefined for the generic ones (delay, drop, hang). */
export function oauthFaultReply(fault: ActiveFault): Reply | undefined {
  switch (fault.kind) {
    case 'http-500': return oauthError(500, 'server_error', 'Internal error.');
    case 'http-503': return oauthError(503, 'server_error', 'The service is currently unavailable.');
    case 'http-429': {
      const reply = oauthError(429, 'rate_limit_exceeded', 'Rate limit exceeded.');
      return { ...reply, headers: { 'retry-after': String(fault.retryAfterS ?? 30) } };
    }
    case 'token-expired':
    case 'token-revoked':
      return INVALID_GRANT();
    default:
      return undefined;
  }
}

/** `POST /token` with `grant_type=refresh_token` (docs/platforms.md#google-oauth). */
export function handleToken(ctx: OAuthContext, call: IncomingCall): Reply {
  const reply = grant(ctx, call);
  if (reply.status === 200) ctx.state.oauth.refreshes += 1;
  else ctx.state.oauth.failures += 1;
  return reply;
}

function grant(ctx: OAuthContext, call: IncomingCall): Reply {
  let params: Record<string, unknown>;
  if (isFormEncoded(call.headers)) {
    params = parseForm(call.body);
  } else {
    const parsed = tryParseJson(call.body);
    if (!isPlainObject(parsed)) return oauthError(400, 'invalid_request', 'Request body must be form-encoded.');
    params = parsed;
  }
  const grantType = params['grant_type'];
  if (grantType === undefined) return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type: ');
  if (grantType !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${typeof grantType === 'string' ? grantType : JSON.stringify(grantType)}`);
  const clientId = params['client_id'];
  if (typeof clientId !== 'string' || clientId === '') return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
  const client = ctx.options.oauth.clients.find((candidate) => candidate.clientId === clientId);
  if (client === undefined) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
  if (params['client_secret'] !== client.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
  const refreshToken = params['refresh_token'];
  if (typeof refreshToken !== 'string' || refreshToken === '') return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
  if (!client.refreshTokens.includes(refreshToken) || ctx.tokens.isRefreshTokenRevoked(refreshToken)) return INVALID_GRANT();

  const lifetimeS = ctx.options.oauth.tokenLifetimeS;
  const scope = (client.scopes ?? SANDBOX_DEFAULTS.oauth.scopes).join(' ');
  const body: OAuthTokenResponse = {
    access_token: ctx.tokens.issue(clientId, ctx.state.nowMs(), lifetimeS, scope),
    expires_in: lifetimeS,
    token_type: 'Bearer',
    scope,
  };
  const byClient = ctx.state.oauth.byClient;
  byClient[clientId] = (byClient[clientId] ?? 0) + 1;
  return { status: 200, body, headers: { 'cache-control': 'no-cache, no-store, max-age=0, must-revalidate', pragma: 'no-cache' } };
}
