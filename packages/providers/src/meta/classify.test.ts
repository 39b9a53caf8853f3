import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, TransientError } from '../errors.js';
import { classifyMetaError, classifyMetaResponse, eventIndexFromMessage } from './classify.js';

const response = (status: number, json: unknown, headers: Record<string, string> = {}) => ({ status, json, headers, durationMs: 1 });

describe('Meta error classification (by error.code, not HTTP status)', () => {
  it.each([
    // code, subcode, is_transient, http status, class, label, rate limited
    [1, undefined, false, 500, TransientError, 'meta_1', false],
    [2, undefined, true, 503, TransientError, 'meta_2', false],
    [4, undefined, true, 400, TransientError, 'meta_4', true],
    [17, undefined, false, 500, TransientError, 'meta_17', true],
    [32, undefined, false, 400, TransientError, 'meta_32', true],
    [341, undefined, false, 400, TransientError, 'meta_341', false],
    [368, undefined, false, 400, TransientError, 'meta_368', false],
    [613, undefined, false, 400, TransientError, 'meta_613', true],
    [80000, undefined, false, 400, TransientError, 'meta_80000', true],
    [80004, undefined, false, 400, TransientError, 'meta_80004', true],
    [80014, undefined, false, 400, TransientError, 'meta_80014', true],
    [999, undefined, true, 400, TransientError, 'meta_999', false],
    [999, undefined, false, 502, TransientError, 'meta_999', false],
    [190, 463, false, 400, ConfigurationError, 'meta_190', false],
    [190, 460, false, 400, ConfigurationError, 'meta_190', false],
    [102, undefined, false, 400, ConfigurationError, 'meta_102', false],
    [100, 33, false, 400, ConfigurationError, 'meta_100', false],
    [2635, undefined, false, 400, ConfigurationError, 'meta_2635', false],
    [100, 2804003, false, 400, PermanentError, 'meta_100', false],
    [100, 2804019, false, 400, PermanentError, 'meta_100', false],
    [10, undefined, false, 400, PermanentError, 'meta_10', false],
    [200, undefined, false, 403, PermanentError, 'meta_200', false],
    [294, undefined, false, 403, PermanentError, 'meta_200', false],
    [80015, undefined, false, 400, PermanentError, 'meta_80015', false],
  ] as const)('code %i/%s transient=%s http %i → %o %s', (code, subcode, isTransient, status, kind, label, rateLimited) => {
    const error = classifyMetaError({ code, is_transient: isTransient, ...(subcode !== undefined && { error_subcode: subcode }) }, status);
    expect(error).toBeInstanceOf(kind);
    expect(error instanceof PermanentError ? error.reason : error.code).toBe(label);
    expect(error instanceof TransientError && error.rateLimited).toBe(rateLimited);
  });

  it('names META_API_VERSION when Meta refuses a deprecated version (#2635)', () => {
    const error = classifyMetaError({ code: 2635, message: '(#2635) You are calling a deprecated version of the Ads API.' }, 400);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('META_API_VERSION');
    // Meta's own text is not carried into ours.
    expect(error.message).not.toContain('deprecated version of the Ads API');
  });

  it('reads Retry-After and treats HTTP 429 as rate limiting whatever the code', () => {
    const result = classifyMetaResponse(response(429, { error: { code: 4, is_transient: true } }, { 'retry-after': '7' }), 3);
    expect(result).toMatchObject({ ok: false, error: { retryAfterMs: 7000, rateLimited: true } });
    expect(result.ok ? undefined : result.error).toBeInstanceOf(TransientError);
  });

  it.each([
    [500, 'http_5xx', TransientError], [502, 'http_5xx', TransientError], [429, 'http_429', TransientError], [404, 'http_404', PermanentError],
  ] as const)('a %i without a Graph error body is %s', (status, code, kind) => {
    const result = classifyMetaResponse(response(status, undefined), 1);
    if (result.ok) throw new Error('expected a failure');
    expect(result.error).toBeInstanceOf(kind);
    expect(result.blamesEvent).toBe(false);
    expect(result.error instanceof PermanentError ? result.error.reason : result.error.code).toBe(code);
  });

  it('treats events_received lower than sent as a failure, and a full count as success', () => {
    expect(classifyMetaResponse(response(200, { events_received: 3, fbtrace_id: 'T' }), 3)).toEqual({ ok: true, eventsReceived: 3, fbtraceId: 'T' });
    expect(classifyMetaResponse(response(200, { events_received: 2, fbtrace_id: 'T' }), 3))
      .toMatchObject({ ok: false, error: { name: 'TransientError', code: 'partial_batch' } });
    expect(classifyMetaResponse(response(200, 'not json'), 1)).toMatchObject({ ok: false, error: { name: 'TransientError', code: 'invalid_response' } });
  });

  it('blames an event for code 100 and reads the index Meta names', () => {
    const result = classifyMetaResponse(response(400, {
      error: { code: 100, error_subcode: 2804003, is_transient: false, error_user_msg: "The timestamp for the event $['data'][17] is too far in the past.", fbtrace_id: 'A1' },
    }), 20);
    expect(result).toMatchObject({ ok: false, blamesEvent: true, eventIndex: 17, error: { reason: 'meta_100', httpStatus: 400, reference: 'A1' } });
    const noIndex = classifyMetaResponse(response(400, { error: { code: 100, message: 'Invalid parameter' } }), 20);
    expect(noIndex).toMatchObject({ ok: false, blamesEvent: true, eventIndex: undefined });
    const token = classifyMetaResponse(response(400, { error: { code: 190, error_user_msg: "bad $['data'][3]" } }), 20);
    expect(token).toMatchObject({ ok: false, blamesEvent: false, eventIndex: undefined });
  });

  it.each([
    ["The parameter $['data'][0]['event_time'] is required.", 0],
    ["The parameter $['data'][17]['user_data']['em'] must be hashed", 17],
    ['param data[42].event_name is required', 42],
    ['Invalid parameter', undefined],
    [undefined, undefined],
  ])('finds the event index in %j', (text, index) => {
    expect(eventIndexFromMessage(text)).toBe(index);
  });
});
