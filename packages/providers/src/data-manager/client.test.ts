import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, TransientError, type EventResult } from '../errors.js';
import { HttpClient } from '../http.js';
import { createDataManagerTokenSource, type DataManagerTokenSource } from './auth.js';
import { buildDataManagerEvent } from './build.js';
import { DM_SCOPE } from './classify.js';
import { DataManagerClient, type DataManagerClientOptions } from './client.js';
import { dmInput } from '../test/data-manager-fixtures.js';
import type { BuiltDataManagerEvent, DataManagerEventInput } from './types.js';

const D = SANDBOX_DEFAULTS;
const CANARY = 'canary.person@example.com';
let sandbox: Sandbox;
const http = new HttpClient({ timeoutMs: 5000 });

beforeAll(async () => { sandbox = await startSandbox({ port: 0, dataManager: { maxRequestBytes: 40_000 } }); });
afterAll(async () => { await sandbox.close(); await http.close(); });
beforeEach(() => { sandbox.control.reset(); });

const staticTokens = (token: string = D.dataManager.staticAccessToken) => createDataManagerTokenSource({ kind: 'static', accessToken: token });
function client(tokens: DataManagerTokenSource = staticTokens(), options: Partial<DataManagerClientOptions> = {}): DataManagerClient {
  return new DataManagerClient({ http, tokens, apiBaseUrl: sandbox.dataManagerBaseUrl, destination: { operatingAccountId: D.dataManager.operatingAccountId }, validateOnly: false, ...options });
}
const events = (count: number, overrides: (i: number) => Partial<DataManagerEventInput> = () => ({})): BuiltDataManagerEvent[] =>
  Array.from({ length: count }, (_, i) => buildDataManagerEvent(dmInput({ transactionId: `ord-${i}`, ...overrides(i) })));
const kinds = (results: EventResult[]) => results.map((r) => (r.kind === 'sent' ? 'sent' : r.error.name));

describe('DataManagerClient against the sandbox fake', () => {
  it('ingests a batch for two conversion actions in one request and returns the request id per event', async () => {
    const { results, accepted } = await client().ingest(events(6, (i) => ({ conversionActionId: i % 2 === 0 ? "987654321" : "987654322" })));
    expect(kinds(results)).toEqual(Array(6).fill('sent'));
    expect(accepted).toHaveLength(1);
    expect(results.every((r) => r.kind === 'sent' && r.reference === accepted[0]?.requestId && r.batchSize === 6)).toBe(true);
    expect(sandbox.control.dataManagerEvents().map((e) => e.conversionActionId)).toEqual(['987654321', '987654322', '987654321', '987654322', '987654321', '987654322']);
  });

  it('sends validateOnly requests that record nothing', async () => {
    const { results } = await client(staticTokens(), { validateOnly: true }).ingest(events(2));
    expect(results.every((r) => r.kind === 'sent' && r.validateOnly === true)).toBe(true);
    expect(sandbox.control.dataManagerEvents()).toEqual([]);
  });

  it('fails only the event Google names (injected by index) and sends the others again', async () => {
    sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 2 });
    const { results } = await client().ingest(events(4));
    expect(kinds(results)).toEqual(['sent', 'sent', 'PermanentError', 'sent']);
    expect(results[2]?.kind === 'error' && results[2].error).toMatchObject({ reason: 'INVALID_FORMAT', httpStatus: 400 });
    expect(sandbox.control.dataManagerEvents().map((e) => (e.event['transactionId']))).toEqual(['ord-0', 'ord-1', 'ord-3']);
  });

  it('fails an event the fake refuses on its own rules without leaking its value, the rest go through', async () => {
    const batch = events(3);
    batch[1] = { ...batch[1]!, event: { ...batch[1]!.event, userData: { userIdentifiers: [{ emailAddress: CANARY }] } } };
    const { results } = await client().ingest(batch);
    expect(kinds(results)).toEqual(['sent', 'PermanentError', 'sent']);
    expect(JSON.stringify(results)).not.toContain(CANARY);
    expect(results[1]?.kind === 'error' && (results[1].error as PermanentError).reason).toBe('INVALID_HEX_ENCODING');
  });

  it('splits a request the front end finds too large (413 or the size message), never failing the events', async () => {
    sandbox.control.addFault({ provider: 'datamanager', kind: 'payload-too-large' });
    const first = await client().ingest(events(4));
    expect(kinds(first.results)).toEqual(Array(4).fill('sent'));
    expect(first.accepted.map((a) => a.eventCount)).toEqual([2, 2]);
    sandbox.control.reset();
    // 100 events are ~60 kB against the fake's 40 kB limit; our own budget is set too high on purpose.
    const second = await client(staticTokens(), { maxRequestBytes: 10_000_000 }).ingest(events(100));
    expect(kinds(second.results).every((k) => k === 'sent')).toBe(true);
    expect(second.accepted.length).toBeGreaterThan(1);
    expect(sandbox.control.dataManagerEvents()).toHaveLength(100);
  });

  it('keeps requests under its own byte budget without a round trip', async () => {
    const { accepted } = await client(staticTokens(), { maxRequestBytes: 20_000 }).ingest(events(100));
    expect(accepted.length).toBeGreaterThan(2);
    expect(sandbox.control.dataManagerStats().invalid).toBe(0);
  });

  it('reports 429 as rate-limited with the RetryInfo delay, and 503 as transient', async () => {
    sandbox.control.addFault({ provider: 'datamanager', kind: 'resource-exhausted', retryAfterS: 5 });
    const limited = await client().ingest(events(2));
    expect(limited.results.map((r) => r.kind === 'error' && r.error)).toEqual([expect.any(TransientError), expect.any(TransientError)]);
    expect(limited.results[0]?.kind === 'error' && limited.results[0].error).toMatchObject({ retryAfterMs: 5000, rateLimited: true });
    sandbox.control.addFault({ provider: 'datamanager', kind: 'http-503' });
    const unavailable = await client().ingest(events(1));
    expect(unavailable.results[0]?.kind === 'error' && unavailable.results[0].error).toMatchObject({ name: 'TransientError', code: 'UNAVAILABLE' });
  });

  it('refreshes the token once on 401 and retries the request', async () => {
    const tokens = createDataManagerTokenSource({
      kind: 'refresh-token', clientId: D.oauth.clientId, clientSecret: D.oauth.clientSecret, refreshToken: D.oauth.refreshToken, tokenUrl: sandbox.oauthTokenUrl,
    });
    expect(kinds((await client(tokens).ingest(events(1))).results)).toEqual(['sent']);
    sandbox.control.expireAccessTokens();
    expect(kinds((await client(tokens).ingest(events(1, () => ({ transactionId: 'after' })))).results)).toEqual(['sent']);
    expect(sandbox.control.oauthStats().refreshes).toBe(2);
  });

  it('makes a 401 with a static token a configuration error, and a token without the scope one that names it', async () => {
    const expired = await client(staticTokens('ya29.not-known')).ingest(events(1));
    expect(expired.results[0]?.kind === 'error' && expired.results[0].error).toBeInstanceOf(ConfigurationError);
    const adsToken = await client(staticTokens(D.google.staticAccessToken)).ingest(events(1));
    const error = adsToken.results[0]?.kind === 'error' ? adsToken.results[0].error : undefined;
    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', httpStatus: 403 });
    expect(error?.message).toContain(DM_SCOPE);
  });

  it('retrieves diagnostics of an accepted request, and refuses an unknown request id', async () => {
    const { accepted } = await client().ingest(events(3));
    const status = await client().retrieveRequestStatus(accepted[0]!.requestId);
    expect(status).toEqual({ final: true, destinations: [{ conversionActionId: '987654321', requestStatus: 'SUCCESS', errorCounts: {}, warningCounts: {}, recordCount: 3 }] });
    const unknown = await client().retrieveRequestStatus('no-such-request').catch((thrown: unknown) => thrown);
    expect(unknown).toMatchObject({ name: 'PermanentError', reason: 'INVALID_REQUEST_ID' });
  });

  it('spends one permit per HTTP request (bisection halves and re-sends included) and uses permits the caller holds first', async () => {
    let spent = 0;
    const permits = { acquire: () => { spent += 1; return Promise.resolve(); } };
    sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 1 });
    const { results } = await client(staticTokens(), { permits }).ingest(events(4), { permitsHeld: 1 });
    expect(kinds(results)).toEqual(['sent', 'PermanentError', 'sent', 'sent']);
    // Two requests (the refused one, then the re-send of three): one permit held, one acquired.
    expect(sandbox.control.dataManagerStats().requests).toBe(2);
    expect(spent).toBe(1);
    sandbox.control.reset();
    spent = 0;
    sandbox.control.addFault({ provider: 'datamanager', kind: 'payload-too-large' });
    await client(staticTokens(), { permits }).ingest(events(4));
    expect(spent).toBe(sandbox.control.dataManagerStats().requests);
    expect(spent).toBe(3);
  });

  it('puts field warnings on the events they name, and records which events each accepted request carried', async () => {
    const batch = events(3);
    batch[1] = { ...batch[1]!, event: { ...batch[1]!.event, customVariables: [{ variable: 'x', value: 'y' }] } as BuiltDataManagerEvent['event'] };
    const { results, accepted } = await client().ingest(batch);
    expect(results.map((r) => (r.kind === 'sent' ? r.warnings : undefined))).toEqual([undefined, ['WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED'], undefined]);
    expect(accepted).toEqual([expect.objectContaining({ indices: [0, 1, 2], warnings: { WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED: 1 } })]);
  });

  it('turns an unreadable shared quota into a transient error, not a lost event', async () => {
    const permits = { acquire: () => Promise.reject(new Error('redis down')) };
    const { results } = await client(staticTokens(), { permits }).ingest(events(1));
    expect(results[0]?.kind === 'error' && results[0].error).toMatchObject({ name: 'TransientError', code: 'quota_unavailable' });
    expect(sandbox.control.dataManagerStats().requests).toBe(0);
  });

  it('takes one write permit per ingest request, re-sends included, and one read permit per status call', async () => {
    const taken = { write: 0, read: 0 };
    const permits = { write: { acquire: () => { taken.write += 1; return Promise.resolve(); } }, read: { acquire: () => { taken.read += 1; return Promise.resolve(); } } };
    sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 1 });
    const { accepted } = await client(staticTokens(), { permits: permits.write, readPermits: permits.read }).ingest(events(3));
    expect(taken).toEqual({ write: 2, read: 0 }); // the refused request and the re-send without the culprit
    await client(staticTokens(), { permits: permits.write, readPermits: permits.read }).retrieveRequestStatus(accepted[0]!.requestId);
    expect(taken).toEqual({ write: 2, read: 1 });
  });

  it('sends nothing when no permit can be had, and fails the events transiently', async () => {
    const down = { acquire: () => Promise.reject(new Error('redis down')) };
    const { results } = await client(staticTokens(), { permits: down }).ingest(events(2));
    expect(results.map((r) => r.kind === 'error' && r.error)).toEqual([
      expect.objectContaining({ name: 'TransientError', code: 'quota_unavailable' }), expect.objectContaining({ name: 'TransientError', code: 'quota_unavailable' }),
    ]);
    expect(sandbox.control.dataManagerEvents()).toEqual([]);
    await expect(client(staticTokens(), { readPermits: down }).retrieveRequestStatus('any')).rejects.toMatchObject({ name: 'TransientError', code: 'quota_unavailable' });
  });
});
