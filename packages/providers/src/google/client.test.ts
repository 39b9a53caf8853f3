import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../http.js';
import { googlePrepared } from '../test/fixtures.js';
import { GoogleClient } from './client.js';
import { TokenProvider, type OAuthRefreshOutcome, type TokenSource } from './oauth.js';
import { buildGoogleRow, type GoogleRow } from './payload.js';

let sandbox: Sandbox;
const http = new HttpClient({ timeoutMs: 2000 });
const refreshes: OAuthRefreshOutcome[] = [];

const refreshSource = (): TokenSource => ({
  kind: 'refresh', clientId: SANDBOX_DEFAULTS.oauth.clientId, clientSecret: SANDBOX_DEFAULTS.oauth.clientSecret,
  refreshToken: SANDBOX_DEFAULTS.oauth.refreshToken, tokenUri: sandbox.oauthTokenUrl,
});

function client(tokens: TokenProvider, validateOnly = false): GoogleClient {
  return new GoogleClient({
    http, tokens, apiBaseUrl: sandbox.googleAdsBaseUrl, apiVersion: SANDBOX_DEFAULTS.google.apiVersion,
    customerId: SANDBOX_DEFAULTS.google.customerId, developerToken: SANDBOX_DEFAULTS.google.developerToken, validateOnly,
  });
}
const staticTokens = () => new TokenProvider({ source: { kind: 'static', accessToken: SANDBOX_DEFAULTS.google.staticAccessToken }, http });
const refreshTokens = (options: Partial<ConstructorParameters<typeof TokenProvider>[0]> = {}) =>
  new TokenProvider({ source: refreshSource(), http, retryMinDelayMs: 10, onRefresh: (outcome) => refreshes.push(outcome), ...options });

const context = { customerId: SANDBOX_DEFAULTS.google.customerId, timeZone: 'Asia/Tokyo' };
const rows = (count: number, prefix = 'o'): GoogleRow[] => Array.from({ length: count }, (_, i) =>
  buildGoogleRow(googlePrepared({ match: { gclid: `Cj0KCQ${prefix}${i}` } }, { eventId: `${prefix}-${i}`, orderId: `${prefix}-${i}` }), context));

beforeAll(async () => { sandbox = await startSandbox({ port: 0 }); });
afterAll(async () => { await sandbox.close(); await http.close(); });
beforeEach(() => { sandbox.control.reset(); refreshes.length = 0; });

describe('GoogleClient against the sandbox', () => {
  it('uploads click conversions and enhancements in one request each', async () => {
    const results = await client(staticTokens()).send('click', rows(50));
    expect(results.every((result) => result.kind === 'sent' && result.batchSize === 50 && result.reference !== undefined)).toBe(true);
    const enhancement = buildGoogleRow(googlePrepared({ mode: 'enhancement', match: { userAgent: 'Mozilla/5.0 canary' } }, { orderId: 'web-1' }), context);
    const [adjusted] = await client(staticTokens()).send('enhancement', [enhancement]);
    expect(adjusted).toMatchObject({ kind: 'sent' });
    expect(sandbox.control.stats('google').requests).toBe(2);
    expect(sandbox.control.googleRows({ kind: 'click' })).toHaveLength(50);
    expect(sandbox.control.googleRows({ kind: 'adjustment' })).toHaveLength(1);
  });

  it('maps partial failures to the right rows, row 0 included', async () => {
    const batch = rows(6);
    batch[0] = { ...batch[0]!, gclid: 'not a gclid!' };
    batch[4] = { ...batch[4]!, conversionAction: 'customers/1234567890/conversionActions/111' };
    const results = await client(staticTokens()).send('click', batch);
    expect(results.map((result) => (result.kind === 'sent' ? 'sent' : result.error.name === 'PermanentError' ? (result.error as { reason: string }).reason : result.error.name)))
      .toEqual(['UNPARSEABLE_GCLID', 'sent', 'sent', 'sent', 'NO_CONVERSION_ACTION_FOUND', 'sent']);
    expect(sandbox.control.googleRows()).toHaveLength(4);
  });

  it('counts a row Google already recorded as delivered (at-least-once re-send)', async () => {
    const batch = rows(2);
    await client(staticTokens()).send('click', batch);
    const again = await client(staticTokens()).send('click', batch);
    expect(again.map((result) => result.kind)).toEqual(['sent', 'sent']);
    expect(sandbox.control.googleRows()).toHaveLength(2);
  });

  it('marks validateOnly results', async () => {
    const [result] = await client(staticTokens(), true).send('click', rows(1));
    expect(result).toMatchObject({ kind: 'sent', validateOnly: true });
    expect(sandbox.control.googleRows()).toHaveLength(0);
  });

  it('classifies request-level faults for every row', async () => {
    sandbox.control.addFault({ provider: 'google', kind: 'resource-exhausted', retryAfterS: 9 });
    for (const result of await client(staticTokens()).send('click', rows(3))) {
      expect(result).toMatchObject({ kind: 'error', error: { name: 'TransientError', rateLimited: true, retryAfterMs: 9000 } });
    }
    sandbox.control.addFault({ provider: 'google', kind: 'too-recent-event' });
    for (const result of await client(staticTokens()).send('click', rows(3, 'r'))) {
      expect(result).toMatchObject({ kind: 'error', error: { name: 'TransientError', code: 'TOO_RECENT_EVENT', scheduled: true } });
    }
    sandbox.control.addFault({ provider: 'google', kind: 'account-terms' });
    for (const result of await client(staticTokens()).send('click', rows(2, 't'))) {
      expect(result).toMatchObject({ kind: 'error', error: { name: 'ConfigurationError', code: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' } });
    }
  });
});

describe('TokenProvider', () => {
  it('coalesces 50 concurrent batches with an expired token into exactly one refresh', async () => {
    let now = Date.now();
    const tokens = refreshTokens({ nowMs: () => now });
    await client(tokens).send('click', rows(1, 'warm'));
    expect(sandbox.control.oauthStats().refreshes).toBe(1);
    now += 3600_000; // our cached token is now past expiry
    const batches = await Promise.all(Array.from({ length: 50 }, (_, i) => client(tokens).send('click', rows(2, `c${i}-`))));
    expect(batches.flat().every((result) => result.kind === 'sent')).toBe(true);
    expect(sandbox.control.oauthStats().refreshes).toBe(2);
    expect(refreshes).toEqual(['success', 'success']);
  });

  it('refreshes once when 50 batches hit a 401 with the same token, then succeeds', async () => {
    const tokens = refreshTokens();
    await tokens.token();
    sandbox.control.expireAccessTokens();
    const batches = await Promise.all(Array.from({ length: 50 }, (_, i) => client(tokens).send('click', rows(1, `e${i}-`))));
    expect(batches.flat().every((result) => result.kind === 'sent')).toBe(true);
    expect(sandbox.control.oauthStats().refreshes).toBe(2);
  });

  it('renews 60 s before expiry', async () => {
    let now = Date.now();
    const tokens = refreshTokens({ nowMs: () => now });
    const first = await tokens.token();
    now += (SANDBOX_DEFAULTS.oauth.tokenLifetimeS - 61) * 1000;
    expect(await tokens.token()).toBe(first);
    now += 2000;
    expect(await tokens.token()).not.toBe(first);
  });

  it('retries transient token-endpoint failures with p-retry', async () => {
    sandbox.control.addFault({ provider: 'oauth', kind: 'http-503', count: 2 });
    await expect(refreshTokens().token()).resolves.toMatch(/^ya29\./);
    expect(sandbox.control.oauthStats().refreshes).toBe(1);
  });

  it('turns a revoked refresh token into a configuration error, without retrying and without the token in the message', async () => {
    sandbox.control.revokeRefreshToken(SANDBOX_DEFAULTS.oauth.refreshToken);
    const tokens = refreshTokens();
    const [result] = await client(tokens).send('click', rows(1));
    expect(result).toMatchObject({ kind: 'error', error: { name: 'ConfigurationError', code: 'oauth_invalid_grant' } });
    expect(JSON.stringify(result)).not.toContain(SANDBOX_DEFAULTS.oauth.refreshToken);
    expect(refreshes).toEqual(['invalid_grant']);
    expect(sandbox.control.oauthStats().failures).toBe(1);
  });

  it('treats a rejected static token as a configuration error', async () => {
    const tokens = new TokenProvider({ source: { kind: 'static', accessToken: 'ya29.unknown' }, http });
    const [result] = await client(tokens).send('click', rows(1));
    expect(result).toMatchObject({ kind: 'error', error: { name: 'ConfigurationError' } });
  });
});
