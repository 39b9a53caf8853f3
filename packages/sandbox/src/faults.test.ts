import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrng, FaultSpecError, validateFaultSpec, type FaultSpec } from './faults.js';
import { startSandbox, type Sandbox } from './server.js';
import { clickRow, DEFAULT_GRANT, getOAuthToken, metaEvent, postGoogle, postMeta } from './test/fixtures.js';
import type { GoogleApiErrorBody, GoogleAdsFailure, MetaErrorBody, OAuthErrorBody, UploadClickConversionsResponse } from './types.js';

const uploadClicks = (sandbox: Sandbox): ReturnType<typeof postGoogle<UploadClickConversionsResponse & GoogleApiErrorBody>> =>
  postGoogle(sandbox, 'uploadClickConversions', { conversions: [clickRow({ orderId: 'a' }), clickRow({ orderId: 'b', gclid: 'g2' })], partialFailure: true });
const adsErrors = (body: GoogleApiErrorBody): GoogleAdsFailure['errors'] => (body.error.details[0] as GoogleAdsFailure).errors;

describe('fault injection', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startSandbox({ seed: 7 }); });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });

  it('fails the next N Meta requests with a 503 Graph code-2 error, then serves normally', async () => {
    sandbox.control.addFault({ provider: 'meta', kind: 'http-503', count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] });
      expect([res.status, res.body.error.code, res.body.error.is_transient]).toEqual([503, 2, true]);
    }
    expect((await postMeta(sandbox, { data: [metaEvent()] })).status).toBe(200);
    expect(sandbox.control.stats('meta')).toMatchObject({ requests: 3, faulted: 2, accepted: 1 });
    expect(sandbox.control.faults()).toEqual([]);
  });

  it.each([1, 2, 4, 17, 613] as const)('answers Meta transient code %i with is_transient: true', async (metaCode) => {
    sandbox.control.addFault({ provider: 'meta', kind: 'meta-transient', metaCode });
    const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] });
    expect(res.body.error).toMatchObject({ code: metaCode, is_transient: true, type: 'OAuthException' });
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  const metaCases: [FaultSpec, number, Partial<MetaErrorBody['error']>][] = [
    [{ provider: 'meta', kind: 'http-500' }, 500, { code: 1, is_transient: true }],
    [{ provider: 'meta', kind: 'token-expired' }, 400, { code: 190, error_subcode: 463, is_transient: false }],
    [{ provider: 'meta', kind: 'token-revoked' }, 400, { code: 190, error_subcode: 460 }],
    [{ provider: 'meta', kind: 'permission-denied' }, 403, { code: 200 }],
  ];
  it.each(metaCases)('Meta fault %o', async (spec, status, error) => {
    sandbox.control.addFault(spec);
    const res = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] });
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject(error);
    expect(sandbox.control.metaEvents()).toHaveLength(0);
  });

  it('sends 429 with Retry-After for every provider', async () => {
    for (const provider of ['meta', 'google', 'oauth'] as const) sandbox.control.addFault({ provider, kind: 'http-429', retryAfterS: 7 });
    const meta = await postMeta<MetaErrorBody>(sandbox, { data: [metaEvent()] });
    const google = await uploadClicks(sandbox);
    const oauth = await getOAuthToken(sandbox, DEFAULT_GRANT);
    for (const res of [meta, google, oauth]) {
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
    }
    expect(meta.body.error.is_transient).toBe(true);
    expect(adsErrors(google.body)[0]?.details?.quotaErrorDetails?.retryDelay).toBe('7s');
  });

  const googleCases: [FaultSpec, number, string, Record<string, string>][] = [
    [{ provider: 'google', kind: 'http-500' }, 500, 'INTERNAL', { internalError: 'INTERNAL_ERROR' }],
    [{ provider: 'google', kind: 'http-503' }, 503, 'UNAVAILABLE', { internalError: 'TRANSIENT_ERROR' }],
    [{ provider: 'google', kind: 'resource-exhausted' }, 429, 'RESOURCE_EXHAUSTED', { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }],
    [{ provider: 'google', kind: 'token-expired' }, 401, 'UNAUTHENTICATED', { authenticationError: 'OAUTH_TOKEN_EXPIRED' }],
    [{ provider: 'google', kind: 'token-revoked' }, 401, 'UNAUTHENTICATED', { authenticationError: 'OAUTH_TOKEN_REVOKED' }],
    [{ provider: 'google', kind: 'account-terms' }, 403, 'PERMISSION_DENIED', { conversionUploadError: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' }],
    [{ provider: 'google', kind: 'permission-denied' }, 403, 'PERMISSION_DENIED', { authorizationError: 'USER_PERMISSION_DENIED' }],
  ];
  it.each(googleCases)('Google request-level fault %o', async (spec, status, statusText, errorCode) => {
    sandbox.control.addFault(spec);
    const res = await uploadClicks(sandbox);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code: status, status: statusText });
    expect(adsErrors(res.body)[0]?.errorCode).toEqual(errorCode);
    expect(res.headers.get('request-id')).toBeTruthy();
    expect(sandbox.control.googleRows()).toHaveLength(0);
  });

  it('puts retryDelay "30s" on RESOURCE_EXHAUSTED by default', async () => {
    sandbox.control.addFault({ provider: 'google', kind: 'resource-exhausted' });
    const res = await uploadClicks(sandbox);
    expect(adsErrors(res.body)[0]?.details?.quotaErrorDetails).toMatchObject({ retryDelay: '30s' });
  });

  it.each([
    ['too-recent-conversion-action', 'TOO_RECENT_CONVERSION_ACTION'],
    ['too-recent-event', 'TOO_RECENT_EVENT'],
    ['account-terms-rows', 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS'],
  ] as const)('Google row-level fault %s fails every row and records none', async (kind, code) => {
    sandbox.control.addFault({ provider: 'google', kind });
    const res = await uploadClicks(sandbox);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([{}, {}]);
    const errors = res.body.partialFailureError?.details[0]?.errors ?? [];
    expect(errors.map((e) => e.errorCode)).toEqual([{ conversionUploadError: code }, { conversionUploadError: code }]);
    expect(errors.map((e) => e.location?.fieldPathElements[0])).toEqual([{ fieldName: 'conversions' }, { fieldName: 'conversions', index: 1 }]);
    expect(sandbox.control.googleRows()).toHaveLength(0);
    expect((await uploadClicks(sandbox)).body.partialFailureError).toBeUndefined();
  });

  it('delays a response by delayMs and then answers normally', async () => {
    sandbox.control.addFault({ provider: 'meta', kind: 'delay', delayMs: 250 });
    const started = Date.now();
    const res = await postMeta(sandbox, { data: [metaEvent()] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(res.status).toBe(200);
    expect(sandbox.control.metaEvents()).toHaveLength(1);
  });

  it('drops the connection without a response', async () => {
    sandbox.control.addFault({ provider: 'google', kind: 'drop' });
    await expect(uploadClicks(sandbox)).rejects.toThrow();
    sandbox.control.addFault({ provider: 'oauth', kind: 'drop' });
    await expect(getOAuthToken(sandbox, DEFAULT_GRANT)).rejects.toThrow();
    expect((await uploadClicks(sandbox)).status).toBe(200);
  });

  it('hangs until the client gives up', async () => {
    sandbox.control.addFault({ provider: 'meta', kind: 'hang' });
    const hung = fetch(`${sandbox.url}/v25.0/1234567890123456/events?access_token=x`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) });
    await expect(hung).rejects.toThrow(/timeout|aborted/i);
    expect(sandbox.control.stats('meta').faulted).toBe(1);
  });

  it('answers OAuth faults: 500, and invalid_grant for token-revoked', async () => {
    sandbox.control.addFault({ provider: 'oauth', kind: 'http-500' });
    sandbox.control.addFault({ provider: 'oauth', kind: 'token-revoked' });
    expect((await getOAuthToken(sandbox, DEFAULT_GRANT)).status).toBe(500);
    const revoked = await getOAuthToken<OAuthErrorBody>(sandbox, DEFAULT_GRANT);
    expect([revoked.status, revoked.body.error]).toEqual([400, 'invalid_grant']);
    expect((await getOAuthToken(sandbox, DEFAULT_GRANT)).status).toBe(200);
    expect(sandbox.control.oauthStats()).toMatchObject({ faulted: 2, refreshes: 1 });
  });

  it('applies a ratio fault repeatably from the seed', async () => {
    const pattern = async (seed: number): Promise<number[]> => {
      const local = await startSandbox({ seed, faults: [{ provider: 'meta', kind: 'http-500', ratio: 0.5 }] });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++) statuses.push((await postMeta(local, { data: [metaEvent({ event_id: `r${i}` })] })).status);
        return statuses;
      } finally {
        await local.close();
      }
    };
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    const failures = a.filter((status) => status === 500).length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(17);
  });

  it('validates fault specs', () => {
    expect(() => validateFaultSpec({ provider: 'meta', kind: 'resource-exhausted' })).toThrow(FaultSpecError);
    expect(() => validateFaultSpec({ provider: 'oauth', kind: 'too-recent-event' })).toThrow(FaultSpecError);
    expect(() => validateFaultSpec({ provider: 'meta', kind: 'http-500', ratio: 1.5 })).toThrow(/ratio/);
    expect(() => validateFaultSpec({ provider: 'meta', kind: 'meta-transient', metaCode: 190 })).toThrow(/metaCode/);
    expect(createPrng(1)()).toBe(createPrng(1)());
  });
});
