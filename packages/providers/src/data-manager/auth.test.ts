import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import type { OAuthRefreshOutcome } from '../google/oauth.js';
import { createDataManagerTokenSource, type DataManagerCredentials } from './auth.js';
import { DM_SCOPE } from './classify.js';

const D = SANDBOX_DEFAULTS;
let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'capconnect-dm-auth-'));
const outcomes: OAuthRefreshOutcome[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, oauth: { clients: [
    { clientId: D.oauth.clientId, clientSecret: D.oauth.clientSecret, refreshTokens: [D.oauth.refreshToken, '1//to-revoke'] },
    { clientId: 'ads-only', clientSecret: 'secret', refreshTokens: ['1//ads-only'], scopes: ['https://www.googleapis.com/auth/adwords'] },
  ] } });
});
afterAll(async () => { await sandbox.close(); });
beforeEach(() => { sandbox.control.reset(); outcomes.length = 0; });

const refresh = (overrides: Partial<Extract<DataManagerCredentials, { kind: 'refresh-token' }>> = {}): DataManagerCredentials => ({
  kind: 'refresh-token', clientId: D.oauth.clientId, clientSecret: D.oauth.clientSecret, refreshToken: D.oauth.refreshToken, tokenUrl: sandbox.oauthTokenUrl, ...overrides,
});
const source = (credentials: DataManagerCredentials) => createDataManagerTokenSource(credentials, { onRefresh: (outcome) => outcomes.push(outcome) });

describe('Data Manager token source (google-auth-library)', () => {
  it('shares one refresh between concurrent callers and reuses the token', async () => {
    const tokens = source(refresh());
    const got = await Promise.all(Array.from({ length: 8 }, () => tokens.accessToken()));
    expect(new Set(got).size).toBe(1);
    expect(got[0]).toMatch(/^ya29\.sandbox-/);
    expect(await tokens.accessToken()).toBe(got[0]);
    expect(sandbox.control.oauthStats().refreshes).toBe(1);
    expect(outcomes).toEqual(['success']);
  });

  it('fetches a new token after invalidate() of the current one, and ignores a stale invalidate', async () => {
    const tokens = source(refresh());
    const first = await tokens.accessToken();
    tokens.invalidate('ya29.some-other-token');
    expect(await tokens.accessToken()).toBe(first);
    tokens.invalidate(first);
    const second = await tokens.accessToken();
    expect(second).not.toBe(first);
    expect(sandbox.control.oauthStats().refreshes).toBe(2);
  });

  it('turns a revoked refresh token into a configuration error', async () => {
    sandbox.control.revokeRefreshToken('1//to-revoke');
    const error = await source(refresh({ refreshToken: '1//to-revoke' })).accessToken().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('oauth_invalid_grant');
    expect((error as Error).message).not.toContain('to-revoke');
    expect(outcomes).toEqual(['invalid_grant']);
  });

  it('refuses a refresh token granted without the datamanager scope, naming the scope', async () => {
    const error = await source(refresh({ clientId: 'ads-only', clientSecret: 'secret', refreshToken: '1//ads-only' })).accessToken().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).code).toBe('ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    expect((error as Error).message).toContain(DM_SCOPE);
  });

  it('reads an authorized-user credentials file (GOOGLE_APPLICATION_CREDENTIALS) and ADC from the env variable', async () => {
    const file = join(dir, 'authorized-user.json');
    writeFileSync(file, JSON.stringify({ type: 'authorized_user', client_id: D.oauth.clientId, client_secret: D.oauth.clientSecret, refresh_token: D.oauth.refreshToken }));
    expect(await source({ kind: 'key-file', keyFile: file, tokenUrl: sandbox.oauthTokenUrl }).accessToken()).toMatch(/^ya29\.sandbox-/);
    const previous = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
    process.env['GOOGLE_APPLICATION_CREDENTIALS'] = file;
    try {
      expect(await source({ kind: 'adc', tokenUrl: sandbox.oauthTokenUrl }).accessToken()).toMatch(/^ya29\.sandbox-/);
    } finally {
      if (previous === undefined) delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
      else process.env['GOOGLE_APPLICATION_CREDENTIALS'] = previous;
    }
    expect(sandbox.control.oauthStats().refreshes).toBe(2);
  });

  it('refuses unreadable files and credential types it does not run', async () => {
    const missing = await source({ kind: 'key-file', keyFile: join(dir, 'nope.json') }).accessToken().catch((thrown: unknown) => thrown);
    expect((missing as ConfigurationError).code).toBe('credentials_unreadable');
    const external = join(dir, 'external.json');
    writeFileSync(external, JSON.stringify({ type: 'external_account', credential_source: { executable: { command: 'echo' } } }));
    const refused = await source({ kind: 'key-file', keyFile: external }).accessToken().catch((thrown: unknown) => thrown);
    expect((refused as ConfigurationError).code).toBe('credentials_type_unsupported');
  });

  it('returns a static token as is', async () => {
    const tokens = source({ kind: 'static', accessToken: D.dataManager.staticAccessToken });
    tokens.invalidate(D.dataManager.staticAccessToken);
    expect(await tokens.accessToken()).toBe(D.dataManager.staticAccessToken);
  });
});
