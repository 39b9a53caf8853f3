import { describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, TransientError } from '../errors.js';
import type { HttpResponse } from '../http.js';
import { classifyDataManagerResponse, DM_SCOPE } from './classify.js';

const errorInfo = (reason: string, domain = 'datamanager.googleapis.com') => ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata: {} });
const badRequest = (...fields: string[]) => ({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: fields.map((field) => ({ field, description: 'canary dana@example.com' })) });
const requestInfo = { '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId: 't-123' };
const retryInfo = (delay: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay });
const body = (code: number, status: string, details: unknown[], message = 'canary dana@example.com') => ({ error: { code, message, status, details } });
const response = (status: number, json: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, json, headers, durationMs: 1 });
const counts = { events: 5, destinations: 2 };

describe('classifyDataManagerResponse', () => {
  it('reads requestId and counts fieldWarnings per reason', () => {
    const outcome = classifyDataManagerResponse(response(200, { requestId: 'r-1', fieldWarnings: [
      { reason: 'WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', field: 'events[0].custom_variables' },
      { reason: 'WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', field: 'events[1].custom_variables' },
      { reason: 'WARNING_REASON_INVALID_NUMBER_FORMAT' },
    ] }), counts);
    const all = ['WARNING_REASON_INVALID_NUMBER_FORMAT'];
    expect(outcome).toEqual({
      kind: 'ok', requestId: 'r-1', warnings: { WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED: 2, WARNING_REASON_INVALID_NUMBER_FORMAT: 1 },
      // Per event: the warnings naming it, and the one naming no event on every event.
      eventWarnings: new Map([
        [0, ['WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', ...all]], [1, ['WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', ...all]], [2, all], [3, all], [4, all],
      ]),
    });
  });

  it('treats a 200 without requestId as a transient invalid response', () => {
    const outcome = classifyDataManagerResponse(response(200, {}), counts);
    expect(outcome.kind === 'failed' && outcome.error).toBeInstanceOf(TransientError);
  });

  const table: [string, HttpResponse, string, string, Record<string, unknown>][] = [
    ['429 quota with RetryInfo', response(429, body(429, 'RESOURCE_EXHAUSTED', [errorInfo('RESOURCE_EXHAUSTED'), retryInfo('17s'), requestInfo])), 'failed', 'TransientError', { code: 'RESOURCE_EXHAUSTED', retryAfterMs: 17_000, rateLimited: true, reference: 't-123' }],
    ['429 with Retry-After only', response(429, body(429, 'RESOURCE_EXHAUSTED', []), { 'retry-after': '9' }), 'failed', 'TransientError', { retryAfterMs: 9000, rateLimited: true }],
    ['429 with nothing: one minute', response(429, undefined), 'failed', 'TransientError', { retryAfterMs: 60_000 }],
    ['503 UNAVAILABLE', response(503, body(503, 'UNAVAILABLE', [])), 'failed', 'TransientError', { code: 'UNAVAILABLE' }],
    ['500 INTERNAL_ERROR', response(500, body(500, 'INTERNAL', [errorInfo('INTERNAL_ERROR')])), 'failed', 'TransientError', { code: 'INTERNAL_ERROR' }],
    ['504 DEADLINE_EXCEEDED', response(504, body(504, 'DEADLINE_EXCEEDED', [])), 'failed', 'TransientError', {}],
    ['409 ABORTED', response(409, body(409, 'ABORTED', [])), 'failed', 'TransientError', { code: 'ABORTED' }],
    ['401 UNAUTHENTICATED', response(401, body(401, 'UNAUTHENTICATED', [errorInfo('ACCESS_TOKEN_EXPIRED', 'googleapis.com')])), 'failed', 'ConfigurationError', { code: 'ACCESS_TOKEN_EXPIRED' }],
    ['403 scope missing', response(403, body(403, 'PERMISSION_DENIED', [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com')])), 'failed', 'ConfigurationError', { code: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' }],
    ['403 API disabled', response(403, body(403, 'PERMISSION_DENIED', [errorInfo('SERVICE_DISABLED', 'googleapis.com')])), 'failed', 'ConfigurationError', { code: 'SERVICE_DISABLED' }],
    ['403 PERMISSION_DENIED', response(403, body(403, 'PERMISSION_DENIED', [errorInfo('PERMISSION_DENIED')])), 'failed', 'ConfigurationError', { code: 'PERMISSION_DENIED' }],
    ['400 terms not signed', response(400, body(400, 'FAILED_PRECONDITION', [errorInfo('TERMS_AND_CONDITIONS_NOT_SIGNED')])), 'failed', 'ConfigurationError', { code: 'TERMS_AND_CONDITIONS_NOT_SIGNED' }],
    ['400 ECL not enabled', response(400, body(400, 'INVALID_ARGUMENT', [errorInfo('DESTINATION_ACCOUNT_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS')])), 'failed', 'ConfigurationError', {}],
    ['403 login mismatch', response(403, body(403, 'PERMISSION_DENIED', [errorInfo('OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH')])), 'failed', 'ConfigurationError', { code: 'OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH' }],
    ['400 not allowlisted', response(400, body(400, 'PERMISSION_DENIED', [errorInfo('NOT_ALLOWLISTED')])), 'failed', 'ConfigurationError', {}],
    ['404 NOT_FOUND', response(404, body(404, 'NOT_FOUND', [])), 'failed', 'ConfigurationError', { code: 'NOT_FOUND' }],
    ['400 destination login account malformed', response(400, body(400, 'INVALID_ARGUMENT', [errorInfo('INVALID_FORMAT'), badRequest('destinations[0].login_account.account_id')])), 'failed', 'ConfigurationError', { code: 'INVALID_FORMAT' }],
  ];
  it.each(table)('%s → %s %s', (_name, res, kind, className, fields) => {
    const outcome = classifyDataManagerResponse(res, counts);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind !== 'failed') return;
    expect(outcome.error.name).toBe(className);
    expect(outcome.error).toMatchObject(fields);
    expect(outcome.error.message).not.toContain('dana@example.com');
  });

  it('asks for one token refresh on 401 only', () => {
    const unauthenticated = classifyDataManagerResponse(response(401, body(401, 'UNAUTHENTICATED', [])), counts);
    const forbidden = classifyDataManagerResponse(response(403, body(403, 'PERMISSION_DENIED', [])), counts);
    expect(unauthenticated.kind === 'failed' && unauthenticated.refreshable).toBe(true);
    expect(forbidden.kind === 'failed' && forbidden.refreshable).toBe(false);
  });

  it('names the fix for configuration errors: the missing scope, the API to enable', () => {
    const scope = classifyDataManagerResponse(response(403, body(403, 'PERMISSION_DENIED', [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'googleapis.com')])), counts);
    expect(scope.kind === 'failed' && scope.error.message).toContain(DM_SCOPE);
    const disabled = classifyDataManagerResponse(response(403, body(403, 'PERMISSION_DENIED', [errorInfo('SERVICE_DISABLED', 'googleapis.com')])), counts);
    expect(disabled.kind === 'failed' && disabled.error.message).toContain('datamanager.googleapis.com');
  });

  it('blames the events named under events[i], with the ErrorReason as reason', () => {
    const outcome = classifyDataManagerResponse(response(400, body(400, 'INVALID_ARGUMENT', [
      errorInfo('INVALID_HEX_ENCODING'), badRequest('events[3].user_data.user_identifiers[0].email_address', 'events[1].currency', 'events[99].currency'), requestInfo,
    ])), counts);
    expect(outcome.kind).toBe('blamed');
    if (outcome.kind !== 'blamed') return;
    expect([...outcome.events.keys()]).toEqual([3, 1]);
    expect(outcome.events.get(3)).toBeInstanceOf(PermanentError);
    expect(outcome.events.get(3)?.reason).toBe('INVALID_HEX_ENCODING');
  });

  it('blames a destination for an invalid conversion action, so its events fail and the others go on', () => {
    const outcome = classifyDataManagerResponse(response(400, body(400, 'INVALID_ARGUMENT', [errorInfo('INVALID_CONVERSION_ACTION_ID'), badRequest('destinations[1].product_destination_id')])), counts);
    expect(outcome.kind === 'blamed' && [...outcome.destinations.keys()]).toEqual([1]);
  });

  it('asks for bisection when a 400 names no event', () => {
    expect(classifyDataManagerResponse(response(400, body(400, 'INVALID_ARGUMENT', [errorInfo('INVALID_EVENT')])), counts).kind).toBe('bisect');
    expect(classifyDataManagerResponse(response(400, undefined), counts).kind).toBe('bisect');
  });

  it('asks for a split on 413, on the front end\'s size message and on TOO_MANY_EVENTS — never a verdict on the events', () => {
    expect(classifyDataManagerResponse(response(413, '<html>Error 413 (Request Entity Too Large)!!1</html>'), counts).kind).toBe('split');
    expect(classifyDataManagerResponse(response(400, body(400, 'INVALID_ARGUMENT', [], 'Request payload size exceeds the limit: 10485760 bytes.')), counts).kind).toBe('split');
    expect(classifyDataManagerResponse(response(400, body(400, 'INVALID_ARGUMENT', [errorInfo('TOO_MANY_EVENTS'), badRequest('events')])), counts).kind).toBe('split');
  });

  it('never puts Google\'s message or a field description into an error', () => {
    for (const res of table.map(([, r]) => r)) {
      const outcome = classifyDataManagerResponse(res, counts);
      if (outcome.kind !== 'ok') expect(outcome.error.message).not.toMatch(/canary|dana/);
    }
    expect(new ConfigurationError({ code: 'x' })).toBeInstanceOf(Error);
  });
});
