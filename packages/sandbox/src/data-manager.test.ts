import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DmErrorBody } from './data-manager-errors.js';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox, type Sandbox } from './server.js';

const D = SANDBOX_DEFAULTS;
const TOKEN = D.dataManager.staticAccessToken;
const ACTION = D.dataManager.conversionActionIds[0];
const OTHER_ACTION = D.dataManager.conversionActionIds[1];
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const nowIso = (offsetS = 0): string => new Date(Date.now() + offsetS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const destination = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  operatingAccount: { accountType: 'GOOGLE_ADS', accountId: D.dataManager.operatingAccountId }, productDestinationId: ACTION, ...extra,
});
const event = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  transactionId: 'ord-1', eventTimestamp: nowIso(-3600), eventSource: 'WEB', conversionValue: 49.9, currency: 'EUR',
  adIdentifiers: { gclid: 'EAIaIQobChMI-example' },
  userData: { userIdentifiers: [{ emailAddress: sha256('dana@example.com') }, { phoneNumber: sha256('+18005550100') }] },
  ...extra,
});
const request = (events: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  destinations: [destination()], encoding: 'HEX', events, ...extra,
});

interface Answer<T> { status: number; headers: Headers; body: T }

describe('the Data Manager API fake', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      oauth: { clients: [
        { clientId: D.oauth.clientId, clientSecret: D.oauth.clientSecret, refreshTokens: [D.oauth.refreshToken] },
        { clientId: 'ads-only', clientSecret: 's', refreshTokens: ['rt-ads-only'], scopes: ['https://www.googleapis.com/auth/adwords'] },
      ] },
      dataManager: { loginAccountIds: ['9876543210'], webConversionActions: [OTHER_ACTION], maxRequestBytes: 200_000, requestsPerMinute: 20, processingDelayMs: 60_000 },
    });
  });
  afterAll(async () => { await sandbox.close(); });
  beforeEach(() => { sandbox.control.reset(); });

  async function ingest<T = Record<string, unknown>>(body: unknown, token: string | null = TOKEN): Promise<Answer<T>> {
    const res = await fetch(`${sandbox.dataManagerBaseUrl}/v1/events:ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token !== null && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() as T };
  }
  async function retrieve<T = Record<string, unknown>>(requestId: string, token = TOKEN): Promise<Answer<T>> {
    const res = await fetch(`${sandbox.dataManagerBaseUrl}/v1/requestStatus:retrieve?requestId=${encodeURIComponent(requestId)}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, headers: res.headers, body: await res.json() as T };
  }
  async function grant(clientId: string, clientSecret: string, refreshToken: string): Promise<string> {
    const res = await fetch(sandbox.oauthTokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken }).toString() });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const reasonOf = (body: DmErrorBody): unknown => body.error.details.find((d) => d['@type'].endsWith('ErrorInfo'))?.['reason'];
  const fieldsOf = (body: DmErrorBody): unknown => (body.error.details.find((d) => d['@type'].endsWith('BadRequest'))?.['fieldViolations'] as { field: string }[] | undefined)?.map((f) => f.field);

  it('accepts the documented offline click example and records it as received (digests, plain click id)', async () => {
    const res = await ingest<{ requestId: string }>(request([event()], { destinations: [destination({ loginAccount: { accountType: 'GOOGLE_ADS', accountId: '9876543210' } })],
      consent: { adUserData: 'CONSENT_GRANTED', adPersonalization: 'CONSENT_GRANTED' } }));
    expect(res.status).toBe(200);
    expect(res.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [recorded] = sandbox.control.dataManagerEvents();
    expect(recorded).toMatchObject({ requestId: res.body.requestId, conversionActionId: ACTION, restatement: false });
    expect(JSON.stringify(recorded?.event)).toContain('07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3');
    expect(JSON.stringify(recorded?.event)).not.toContain('dana@example.com');
    expect(sandbox.control.dataManagerStats()).toMatchObject({ eventsReceived: 1, accepted: 1, restatements: 0 });
  });

  it('accepts enums as proto numbers (what Google\'s Node client sends)', async () => {
    const res = await ingest(request([event({ eventSource: 4, consent: { adUserData: 1 } })], {
      destinations: [destination({ operatingAccount: { accountType: 1, accountId: D.dataManager.operatingAccountId } })], encoding: 1 }));
    expect(res.status).toBe(200);
  });

  it('counts a repeated transaction id for the same action as a restatement, not a new conversion', async () => {
    await ingest(request([event({ transactionId: 'ord-9', conversionValue: 10 })]));
    await ingest(request([event({ transactionId: 'ord-9', conversionValue: 12 })]));
    expect(sandbox.control.dataManagerStats()).toMatchObject({ accepted: 1, restatements: 1 });
    expect(sandbox.control.dataManagerEvents().map((e) => e.restatement)).toEqual([false, true]);
  });

  it('validateOnly checks without recording, and its request id is unknown to requestStatus:retrieve', async () => {
    const res = await ingest<{ requestId: string }>(request([event()], { validateOnly: true }));
    expect(res.status).toBe(200);
    expect(sandbox.control.dataManagerEvents()).toEqual([]);
    const status = await retrieve<DmErrorBody>(res.body.requestId);
    expect(status.status).toBe(400);
    expect(reasonOf(status.body)).toBe('INVALID_REQUEST_ID');
  });

  it('reports PROCESSING, then per-destination SUCCESS / PARTIAL_SUCCESS with int64 counts as strings', async () => {
    const events = [
      event({ transactionId: 'a', destinationReferences: ['click'] }),
      event({ transactionId: 'b', destinationReferences: ['click'], consent: { adUserData: 'CONSENT_DENIED' } }),
      event({ transactionId: 'c', destinationReferences: ['web'] }),
    ];
    const res = await ingest<{ requestId: string }>(request(events, { destinations: [destination({ reference: 'click' }), destination({ reference: 'web', productDestinationId: OTHER_ACTION })] }));
    expect(res.status).toBe(200);
    const early = await retrieve<{ requestStatusPerDestination: { requestStatus: string }[] }>(res.body.requestId);
    expect(early.body.requestStatusPerDestination.map((d) => d.requestStatus)).toEqual(['PROCESSING', 'PROCESSING']);
    sandbox.control.advanceClock(60_000);
    const done = await retrieve<{ requestStatusPerDestination: Record<string, unknown>[] }>(res.body.requestId);
    expect(done.body.requestStatusPerDestination).toEqual([
      expect.objectContaining({ requestStatus: 'PARTIAL_SUCCESS', errorInfo: { errorCounts: [{ recordCount: '1', reason: 'PROCESSING_ERROR_REASON_DENIED_CONSENT' }] }, eventsIngestionStatus: { recordCount: '2' } }),
      expect.objectContaining({ requestStatus: 'SUCCESS', eventsIngestionStatus: { recordCount: '1' } }),
    ]);
  });

  it('answers fieldWarnings for ignored optional values', async () => {
    const res = await ingest<{ fieldWarnings: { reason: string; field: string }[] }>(request([event({ customVariables: [{ variable: 'x', value: 'y' }] })]));
    expect(res.status).toBe(200);
    expect(res.body.fieldWarnings).toEqual([expect.objectContaining({ reason: 'WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', field: 'events[0].custom_variables' })]);
  });

  const eventCases: [string, Record<string, unknown>, string, string][] = [
    ['a missing eventTimestamp', { eventTimestamp: undefined }, 'REQUIRED_FIELD_MISSING', 'events[1].event_timestamp'],
    ['a timestamp that is not RFC 3339', { eventTimestamp: '2026-11-29 14:03:00' }, 'INVALID_FORMAT', 'events[1].event_timestamp'],
    ['a timestamp an hour ahead', { eventTimestamp: nowIso(3600) }, 'EVENT_TIME_INVALID', 'events[1].event_timestamp'],
    ['a timestamp 100 days old', { eventTimestamp: nowIso(-100 * 86_400) }, 'EVENT_TIME_INVALID', 'events[1].event_timestamp'],
    ['no event source for an UPLOAD_CLICKS action', { eventSource: undefined }, 'REQUIRED_FIELD_MISSING', 'events[1].event_source'],
    ['an unknown event source', { eventSource: 'EMAIL' }, 'INVALID_ENUM_VALUE', 'events[1].event_source'],
    ['a lowercase currency', { currency: 'eur' }, 'INVALID_CURRENCY_CODE', 'events[1].currency'],
    ['a value as a string', { conversionValue: '49.9' }, 'INVALID_NUMBER_FORMAT', 'events[1].conversion_value'],
    ['no identifier at all', { adIdentifiers: undefined, userData: undefined }, 'NO_IDENTIFIERS_PROVIDED', 'events[1]'],
    ['eleven identifiers', { userData: { userIdentifiers: Array.from({ length: 11 }, (_, i) => ({ emailAddress: sha256(`u${i}@x.co`) })) } }, 'TOO_MANY_USER_IDENTIFIERS', 'events[1].user_data.user_identifiers'],
    ['two kinds in one identifier', { userData: { userIdentifiers: [{ emailAddress: sha256('a@x.co'), phoneNumber: sha256('+18005550100') }] } }, 'INVALID_FORMAT', 'events[1].user_data.user_identifiers[0]'],
    ['a plaintext email', { userData: { userIdentifiers: [{ emailAddress: 'dana@example.com' }] } }, 'INVALID_HEX_ENCODING', 'events[1].user_data.user_identifiers[0].email_address'],
    ['a truncated digest', { userData: { userIdentifiers: [{ phoneNumber: sha256('+1').slice(0, 40) }] } }, 'INVALID_FORMAT', 'events[1].user_data.user_identifiers[0].phone_number'],
    ['a three-letter region code', { userData: { userIdentifiers: [{ address: { givenName: sha256('alex'), familyName: sha256('smith'), regionCode: 'USA', postalCode: '94045' } }] } }, 'INVALID_COUNTRY_CODE', 'events[1].user_data.user_identifiers[0].address.region_code'],
    ['a hashed postal code', { userData: { userIdentifiers: [{ address: { givenName: sha256('alex'), familyName: sha256('smith'), regionCode: 'US', postalCode: sha256('94045') } }] } }, 'INVALID_POSTAL_CODE', 'events[1].user_data.user_identifiers[0].address.postal_code'],
    ['an address without postal code', { userData: { userIdentifiers: [{ address: { givenName: sha256('alex'), familyName: sha256('smith'), regionCode: 'US' } }] } }, 'REQUIRED_FIELD_MISSING', 'events[1].user_data.user_identifiers[0].address.postal_code'],
    ['a bad landing-page IP', { adIdentifiers: { gclid: 'x', landingPageDeviceInfo: { ipAddress: '999.1.1.1' } } }, 'INVALID_FORMAT', 'events[1].ad_identifiers.landing_page_device_info.ip_address'],
    ['an unknown consent value', { consent: { adUserData: 'YES' } }, 'INVALID_ENUM_VALUE', 'events[1].consent.ad_user_data'],
    ['an unknown field (snake_case)', { event_source: 'WEB' }, 'INVALID_ARGUMENT', 'events[1]'],
    ['a reference to no destination', { destinationReferences: ['nope'] }, 'INVALID_DESTINATION', 'events[1].destination_references[0]'],
  ];
  it.each(eventCases)('refuses the whole request (fast-fail) for an event with %s, naming events[1]', async (_name, overrides, reason, field) => {
    const res = await ingest<DmErrorBody>(request([event({ transactionId: 'ok' }), event({ transactionId: 'bad', ...overrides })]));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(reasonOf(res.body)).toBe(reason);
    expect(fieldsOf(res.body)).toEqual([field]);
    expect(res.body.error.details.find((d) => d['@type'].endsWith('ErrorInfo'))?.['domain']).toBe('datamanager.googleapis.com');
    expect(sandbox.control.dataManagerEvents()).toEqual([]);
  });

  it('requires a transaction id for a WEBPAGE action', async () => {
    const res = await ingest<DmErrorBody>(request([event({ transactionId: undefined })], { destinations: [destination({ productDestinationId: OTHER_ACTION })] }));
    expect(reasonOf(res.body)).toBe('REQUIRED_FIELD_MISSING');
    expect(fieldsOf(res.body)).toEqual(['events[0].transaction_id']);
  });

  const requestCases: [string, Record<string, unknown>, number, string, string | undefined][] = [
    ['no destinations', { destinations: [] }, 400, 'REQUIRED_FIELD_MISSING', 'destinations'],
    ['eleven destinations', { destinations: Array.from({ length: 11 }, (_, i) => destination({ reference: `r${i}` })) }, 400, 'TOO_MANY_DESTINATIONS', 'destinations'],
    ['a hyphenated account id', { destinations: [destination({ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '123-456-7890' } })] }, 400, 'INVALID_FORMAT', 'destinations[0].operating_account.account_id'],
    ['an unknown conversion action', { destinations: [destination({ productDestinationId: '1' })] }, 400, 'INVALID_CONVERSION_ACTION_ID', 'destinations[0].product_destination_id'],
    ['duplicate references', { destinations: [destination({ reference: 'a' }), destination({ reference: 'a' })] }, 400, 'DUPLICATE_DESTINATION_REFERENCE', 'destinations[1].reference'],
    ['no encoding with user data', { encoding: undefined }, 400, 'REQUIRED_FIELD_MISSING', 'encoding'],
    ['an unknown top-level field', { partialFailure: true }, 400, 'INVALID_ARGUMENT', 'partialFailure'],
    ['an operating account the credentials cannot use', { destinations: [destination({ operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1111111111' } })] }, 403, 'PERMISSION_DENIED', undefined],
    ['a login account that is not its manager', { destinations: [destination({ loginAccount: { accountType: 'GOOGLE_ADS', accountId: '2222222222' } })] }, 403, 'OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH', undefined],
  ];
  it.each(requestCases)('refuses a request with %s', async (_name, overrides, httpStatus, reason, field) => {
    const res = await ingest<DmErrorBody>(request([event()], overrides));
    expect(res.status).toBe(httpStatus);
    expect(reasonOf(res.body)).toBe(reason);
    expect(fieldsOf(res.body)).toEqual(field === undefined ? undefined : [field]);
  });

  it('refuses more than 2,000 events with TOO_MANY_EVENTS', async () => {
    const res = await ingest<DmErrorBody>(request(Array.from({ length: 2001 }, () => ({ eventTimestamp: nowIso(-60), eventSource: 'WEB', adIdentifiers: { gclid: 'g' } }))));
    expect(reasonOf(res.body)).toBe('TOO_MANY_EVENTS');
  });

  it('refuses a body over the byte limit the way Google front ends do', async () => {
    const res = await ingest<DmErrorBody>(request(Array.from({ length: 1500 }, (_, i) => event({ transactionId: `t${i}` }))));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('Request payload size exceeds the limit: 200000 bytes.');
  });

  it('checks the bearer token and its scope', async () => {
    expect((await ingest<DmErrorBody>(request([event()]), null)).status).toBe(401);
    expect((await ingest<DmErrorBody>(request([event()]), 'ya29.unknown')).body.error.status).toBe('UNAUTHENTICATED');
    const adsStatic = await ingest<DmErrorBody>(request([event()]), D.google.staticAccessToken);
    expect(adsStatic.status).toBe(403);
    expect(reasonOf(adsStatic.body)).toBe('ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    const adsOnly = await ingest<DmErrorBody>(request([event()]), await grant('ads-only', 's', 'rt-ads-only'));
    expect(reasonOf(adsOnly.body)).toBe('ACCESS_TOKEN_SCOPE_INSUFFICIENT');
    const both = await grant(D.oauth.clientId, D.oauth.clientSecret, D.oauth.refreshToken);
    expect((await ingest(request([event()]), both)).status).toBe(200);
    sandbox.control.expireAccessTokens();
    expect((await ingest(request([event()]), both)).status).toBe(401);
  });

  it('answers 429 RESOURCE_EXHAUSTED with RetryInfo past the per-minute quota of a project, reads counted apart', async () => {
    for (let i = 0; i < 20; i++) expect((await ingest(request([event({ transactionId: `q${i}` })]))).status).toBe(200);
    const over = await ingest<DmErrorBody>(request([event()]));
    expect(over.status).toBe(429);
    expect(over.body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(over.body.error.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '60s' });
    expect((await retrieve('x')).status).toBe(400);
    sandbox.control.advanceClock(60_000);
    expect((await ingest(request([event()]))).status).toBe(200);
  });

  it('injects faults: 503, 429 with Retry-After, a refused event by index, 413, expired token', async () => {
    sandbox.control.addFault({ provider: 'datamanager', kind: 'http-503' });
    expect((await ingest<DmErrorBody>(request([event()]))).body.error.status).toBe('UNAVAILABLE');
    sandbox.control.addFault({ provider: 'datamanager', kind: 'http-429', retryAfterS: 7 });
    expect((await ingest(request([event()]))).headers.get('retry-after')).toBe('7');
    sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 2 });
    const refused = await ingest<DmErrorBody>(request([event({ transactionId: 'x' }), event({ transactionId: 'y' }), event({ transactionId: 'z' })]));
    expect(fieldsOf(refused.body)).toEqual(['events[2].user_data.user_identifiers[0].email_address']);
    sandbox.control.addFault({ provider: 'datamanager', kind: 'payload-too-large' });
    expect((await ingest(request([event()]))).status).toBe(413);
    sandbox.control.addFault({ provider: 'datamanager', kind: 'token-expired' });
    expect((await ingest(request([event()]))).status).toBe(401);
    expect((await ingest(request([event()]))).status).toBe(200);
    expect(sandbox.control.dataManagerStats().faulted).toBe(5);
  });
});
