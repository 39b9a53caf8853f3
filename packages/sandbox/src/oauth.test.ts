import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox, type Sandbox } from './server.js';
import { clickRow, DEFAULT_GRANT, getOAuthToken, googleHeaders, postGoogle } from './test/fixtures.js';
import type { GoogleApiErrorBody, GoogleAdsFailure, OAuthErrorBody, OAuthTokenResponse } from './types.js';

const D = SANDBOX_DEFAULTS;
const upload = (sandbox: Sandbox, token: string): ReturnType<typeof postGoogle<GoogleApiErrorBody>> =>
  postGoogle<GoogleApiErrorBody>(sandbox, 'uploadClickConversions', { conversions: [clickRow()], partialFailure: true }, googleHeaders({ authorization: `Bearer ${token}` }));
const authCode = (body: GoogleApiErrorBody): unknown => (body.error.details[0] as GoogleAdsFailure).errors[0]?.errorCode;

describe('the Google OAuth token endpoint fake', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      oauth: { tokenLifetimeS: 60, clients: [{ clientId: D.oauth.clientId, clientSecret: D.oauth.clientSecret, refreshTokens: [D.oauth.refreshToken, '1//second'] }] },
    });
  });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });

  it('grants an access token for a refresh token, which the Google Ads fake then accepts, and counts refreshes', async () => {
    const res = await getOAuthToken<OAuthTokenResponse>(sandbox, DEFAULT_GRANT);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.stringMatching(/^ya29\./) as unknown, expires_in: 60, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/datamanager' });
    expect((await upload(sandbox, res.body.access_token)).status).toBe(200);
    await getOAuthToken(sandbox, DEFAULT_GRANT);
    expect(sandbox.control.oauthStats()).toEqual({ refreshes: 2, failures: 0, faulted: 0, byClient: { [D.oauth.clientId]: 2 } });
  });

  it('lets an issued token expire after its lifetime (401 OAUTH_TOKEN_EXPIRED)', async () => {
    const { body } = await getOAuthToken<OAuthTokenResponse>(sandbox, DEFAULT_GRANT);
    sandbox.control.advanceClock(61_000);
    const res = await upload(sandbox, body.access_token);
    expect(res.status).toBe(401);
    expect(res.body.error.status).toBe('UNAUTHENTICATED');
    expect(authCode(res.body)).toEqual({ authenticationError: 'OAUTH_TOKEN_EXPIRED' });
  });

  it('expires or revokes every issued token on demand, leaving static tokens alone', async () => {
    const a = await getOAuthToken<OAuthTokenResponse>(sandbox, DEFAULT_GRANT);
    expect(sandbox.control.expireAccessTokens()).toBeGreaterThanOrEqual(1);
    expect(authCode((await upload(sandbox, a.body.access_token)).body)).toEqual({ authenticationError: 'OAUTH_TOKEN_EXPIRED' });
    const b = await getOAuthToken<OAuthTokenResponse>(sandbox, DEFAULT_GRANT);
    sandbox.control.revokeAccessTokens();
    expect(authCode((await upload(sandbox, b.body.access_token)).body)).toEqual({ authenticationError: 'OAUTH_TOKEN_REVOKED' });
    expect((await upload(sandbox, D.google.staticAccessToken)).status).toBe(200);
  });

  it('answers invalid_grant for a revoked or unknown refresh token', async () => {
    sandbox.control.revokeRefreshToken(D.oauth.refreshToken);
    for (const refresh_token of [D.oauth.refreshToken, '1//unknown']) {
      const res = await getOAuthToken<OAuthErrorBody>(sandbox, { ...DEFAULT_GRANT, refresh_token });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    expect((await getOAuthToken(sandbox, { ...DEFAULT_GRANT, refresh_token: '1//second' })).status).toBe(200);
    sandbox.control.reset();
    expect((await getOAuthToken(sandbox, DEFAULT_GRANT)).status).toBe(200);
  });

  it('answers invalid_client, invalid_request and unsupported_grant_type like Google', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ ...DEFAULT_GRANT, client_id: 'nobody' }, 401, 'invalid_client'],
      [{ ...DEFAULT_GRANT, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ ...DEFAULT_GRANT, client_id: '' }, 400, 'invalid_request'],
      [{ grant_type: 'refresh_token', client_id: D.oauth.clientId, client_secret: D.oauth.clientSecret }, 400, 'invalid_request'],
      [{ ...DEFAULT_GRANT, grant_type: 'authorization_code' }, 400, 'unsupported_grant_type'],
    ];
    for (const [params, status, error] of cases) {
      const res = await getOAuthToken<OAuthErrorBody>(sandbox, params);
      expect([res.status, res.body.error]).toEqual([status, error]);
    }
    expect(sandbox.control.oauthStats()).toMatchObject({ refreshes: 0, failures: cases.length });
  });
});
