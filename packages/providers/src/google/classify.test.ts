import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, TransientError } from '../errors.js';
import { classifyGoogleCode, classifyGoogleResponse, rowOf } from './classify.js';

const response = (status: number, json: unknown, headers: Record<string, string> = {}) => ({ status, json, headers, durationMs: 1 });
const failure = (errors: unknown[]) => ({ code: 3, message: 'x', details: [{ '@type': 'type.googleapis.com/google.ads.googleads.v24.errors.GoogleAdsFailure', errors, requestId: 'R1' }] });
const rowError = (code: string, path: unknown[], family = 'conversionUploadError') => ({ errorCode: { [family]: code }, message: 'quoted user@example.com', location: { fieldPathElements: path } });

describe('Google error classification', () => {
  it.each([
    ['internalError', 'INTERNAL_ERROR', TransientError, false, false],
    ['internalError', 'TRANSIENT_ERROR', TransientError, false, false],
    ['internalError', 'DEADLINE_EXCEEDED', TransientError, false, false],
    ['quotaError', 'RESOURCE_TEMPORARILY_EXHAUSTED', TransientError, true, false],
    ['quotaError', 'RESOURCE_EXHAUSTED', TransientError, true, false],
    ['conversionUploadError', 'TOO_RECENT_CONVERSION_ACTION', TransientError, false, true],
    ['conversionUploadError', 'TOO_RECENT_EVENT', TransientError, false, true],
    ['conversionAdjustmentUploadError', 'TOO_RECENT_CONVERSION', TransientError, false, true],
    ['authenticationError', 'OAUTH_TOKEN_REVOKED', ConfigurationError, false, false],
    ['authenticationError', 'DEVELOPER_TOKEN_INVALID', ConfigurationError, false, false],
    ['authenticationError', 'SOMETHING_NEW', ConfigurationError, false, false],
    ['authorizationError', 'USER_PERMISSION_DENIED', ConfigurationError, false, false],
    ['headerError', 'INVALID_LOGIN_CUSTOMER_ID', ConfigurationError, false, false],
    ['conversionUploadError', 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS', ConfigurationError, false, false],
    ['conversionUploadError', 'CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS', ConfigurationError, false, false],
    ['conversionUploadError', 'CLICK_NOT_FOUND', PermanentError, false, false],
    ['conversionUploadError', 'UNPARSEABLE_GCLID', PermanentError, false, false],
    ['conversionUploadError', 'EXPIRED_EVENT', PermanentError, false, false],
    ['conversionUploadError', 'NO_CONVERSION_ACTION_FOUND', PermanentError, false, false],
    ['conversionAdjustmentUploadError', 'CONVERSION_NOT_FOUND', PermanentError, false, false],
    ['fieldError', 'REQUIRED', PermanentError, false, false],
    ['somethingError', 'NEVER_SEEN_BEFORE', PermanentError, false, false],
  ] as const)('%s.%s → %o (rate limited %s, scheduled %s)', (family, code, kind, rateLimited, scheduled) => {
    const error = classifyGoogleCode({ family, code, retryDelayMs: undefined }, 200);
    expect(error).toBeInstanceOf(kind);
    if (error instanceof TransientError) {
      expect(error.rateLimited).toBe(rateLimited);
      expect(error.scheduled).toBe(scheduled);
    }
  });

  it.each([
    ['notAllowlistedError', 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE'],
    ['conversionUploadError', 'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE'],
    ['notAllowlistedError', 'NOT_ALLOWLISTED'],
  ])('%s.%s is a configuration error that says to switch to the Data Manager API', (family, code) => {
    const error = classifyGoogleCode({ family, code, retryDelayMs: undefined }, 403);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code });
    expect(error.message).toContain('GOOGLE_API=data-manager');
  });

  it('waits 6 hours for TOO_RECENT_* clicks and 24 hours for a too recent adjustment', () => {
    expect(classifyGoogleCode({ family: 'conversionUploadError', code: 'TOO_RECENT_EVENT', retryDelayMs: undefined }, 200)).toMatchObject({ retryAfterMs: 6 * 3_600_000 });
    expect(classifyGoogleCode({ family: 'x', code: 'TOO_RECENT_CONVERSION', retryDelayMs: undefined }, 200)).toMatchObject({ retryAfterMs: 24 * 3_600_000 });
  });

  it.each([
    [[{ fieldName: 'conversions' }, { fieldName: 'gclid' }], 0],
    [[{ fieldName: 'conversions', index: 0 }], 0],
    [[{ fieldName: 'conversions', index: 7 }, { fieldName: 'user_identifiers', index: 2 }], 7],
    [[{ fieldName: 'conversion_adjustments', index: 3 }], 3],
    [[{ fieldName: 'conversionAdjustments' }], 0],
    [[{ fieldName: 'operations', index: 1 }], undefined],
    [[], undefined],
  ])('row of %j is %s (proto3 JSON omits index 0)', (path, row) => {
    expect(rowOf({ location: { fieldPathElements: path } })).toBe(row);
  });
});

describe('classifyGoogleResponse', () => {
  it('maps partial-failure rows back by index, index 0 included, most severe error per row', () => {
    const result = classifyGoogleResponse(response(200, {
      results: [{}, { gclid: 'a' }, {}, {}, { gclid: 'b' }],
      partialFailureError: failure([
        rowError('UNPARSEABLE_GCLID', [{ fieldName: 'conversions' }, { fieldName: 'gclid' }]),
        rowError('TOO_RECENT_EVENT', [{ fieldName: 'conversions', index: 2 }]),
        rowError('TOO_RECENT_EVENT', [{ fieldName: 'conversions', index: 3 }]),
        rowError('CLICK_NOT_FOUND', [{ fieldName: 'conversions', index: 3 }]),
        rowError('CLICK_NOT_FOUND', [{ fieldName: 'conversions', index: 99 }]),
      ]),
    }, { 'request-id': 'REQ' }), 5);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.reference).toBe('REQ');
    expect([...result.rowErrors.keys()].sort()).toEqual([0, 2, 3]);
    expect(result.rowErrors.get(0)).toMatchObject({ name: 'PermanentError', reason: 'UNPARSEABLE_GCLID', reference: 'REQ' });
    expect(result.rowErrors.get(2)).toMatchObject({ name: 'TransientError', code: 'TOO_RECENT_EVENT', scheduled: true });
    expect(result.rowErrors.get(3)).toMatchObject({ name: 'PermanentError', reason: 'CLICK_NOT_FOUND' });
    expect(JSON.stringify([...result.rowErrors.values()].map((error) => error.message))).not.toContain('example.com');
  });

  it('reads request-level failures: quota with retryDelay, 401 refreshable, 403 terms, 5xx without body', () => {
    const quota = classifyGoogleResponse(response(429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: failure([{ errorCode: { quotaError: 'RESOURCE_TEMPORARILY_EXHAUSTED' }, details: { quotaErrorDetails: { retryDelay: '12s' } } }]).details } }), 4);
    expect(quota).toMatchObject({ ok: false, refreshable: false, error: { name: 'TransientError', code: 'RESOURCE_TEMPORARILY_EXHAUSTED', retryAfterMs: 12_000, rateLimited: true } });
    const expired = classifyGoogleResponse(response(401, { error: { code: 401, details: failure([{ errorCode: { authenticationError: 'OAUTH_TOKEN_EXPIRED' } }]).details } }), 1);
    expect(expired).toMatchObject({ ok: false, refreshable: true });
    const revoked = classifyGoogleResponse(response(401, { error: { code: 401, details: failure([{ errorCode: { authenticationError: 'OAUTH_TOKEN_REVOKED' } }]).details } }), 1);
    expect(revoked).toMatchObject({ ok: false, refreshable: false, error: { name: 'ConfigurationError', code: 'OAUTH_TOKEN_REVOKED' } });
    const terms = classifyGoogleResponse(response(403, { error: { code: 403, details: failure([{ errorCode: { conversionUploadError: 'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS' } }]).details } }), 1);
    expect(terms).toMatchObject({ ok: false, error: { name: 'ConfigurationError' } });
    const bare = classifyGoogleResponse(response(503, undefined, { 'retry-after': '3' }), 1);
    expect(bare).toMatchObject({ ok: false, error: { name: 'TransientError', code: 'http_5xx', retryAfterMs: 3000 } });
    const bad = classifyGoogleResponse(response(400, { error: { code: 400, details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [] }] } }), 1);
    expect(bad).toMatchObject({ ok: false, error: { name: 'PermanentError', reason: 'http_400' } });
  });

  it('blames located rows when a whole request is rejected for row errors', () => {
    const result = classifyGoogleResponse(response(400, { error: { code: 400, details: failure([rowError('UNPARSEABLE_GCLID', [{ fieldName: 'conversions', index: 1 }])]).details } }), 3);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.rowErrors.keys()]).toEqual([1]);
  });
});
