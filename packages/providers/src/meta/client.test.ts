import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, PermanentError, TransientError } from '../errors.js';
import { HttpClient } from '../http.js';
import type { RequestRecord } from '../observer.js';
import { metaPrepared, nowS, startFakeServer } from '../test/fixtures.js';
import { MetaClient } from './client.js';
import { buildMetaEvent, type MetaServerEvent } from './payload.js';

let sandbox: Sandbox;
const http = new HttpClient({ timeoutMs: 1000 });
const records: RequestRecord[] = [];

function client(overrides: Partial<ConstructorParameters<typeof MetaClient>[0]> = {}): MetaClient {
  return new MetaClient({
    http, apiBaseUrl: sandbox.metaBaseUrl, apiVersion: SANDBOX_DEFAULTS.meta.apiVersion, pixelId: SANDBOX_DEFAULTS.meta.pixelId,
    accessToken: SANDBOX_DEFAULTS.meta.accessToken, onRequest: (record) => records.push(record), ...overrides,
  });
}

const events = (count: number): MetaServerEvent[] =>
  Array.from({ length: count }, (_, i) => buildMetaEvent(metaPrepared({ eventId: `evt-${i}` })));

beforeAll(async () => { sandbox = await startSandbox({ port: 0 }); });
afterAll(async () => { await sandbox.close(); await http.close(); });
beforeEach(() => { sandbox.control.reset(); records.length = 0; });

describe('MetaClient against the sandbox', () => {
  it('delivers a batch in one request, with test_event_code, and every event gets the fbtrace_id', async () => {
    const results = await client({ testEventCode: 'TEST123' }).send(events(25));
    expect(results).toHaveLength(25);
    for (const result of results) expect(result).toMatchObject({ kind: 'sent', httpStatus: 200, batchSize: 25, reference: expect.any(String) as string });
    expect(sandbox.control.stats('meta').requests).toBe(1);
    const accepted = sandbox.control.metaEvents();
    expect(accepted).toHaveLength(25);
    expect(accepted[0]?.testEventCode).toBe('TEST123');
    expect(accepted[0]?.event.user_data['client_user_agent']).toBe('Mozilla/5.0 (canary)');
  });

  it('fails the event Meta names by index and re-sends the rest', async () => {
    const batch = events(10);
    batch[6] = { ...batch[6]!, event_time: nowS() - 8 * 86_400 };
    const results = await client().send(batch);
    expect(results[6]).toMatchObject({ kind: 'error', error: { name: 'PermanentError', reason: 'meta_100' } });
    expect(results.filter((result) => result.kind === 'sent')).toHaveLength(9);
    expect(sandbox.control.metaEvents().map((event) => event.event.event_id)).not.toContain('evt-6');
    expect(sandbox.control.stats('meta').requests).toBe(2);
  });

  it('isolates several bad events one index at a time', async () => {
    const batch = events(8);
    for (const bad of [0, 3, 7]) batch[bad] = { ...batch[bad]!, event_source_url: 'not a url' };
    const results = await client().send(batch);
    expect(results.map((result) => result.kind)).toEqual(['error', 'sent', 'sent', 'error', 'sent', 'sent', 'sent', 'error']);
    expect(sandbox.control.metaEvents()).toHaveLength(5);
  });

  it('gives every event the request-level error when it is not an event problem', async () => {
    sandbox.control.addFault({ provider: 'meta', kind: 'http-503' });
    const results = await client().send(events(3));
    for (const result of results) expect(result).toMatchObject({ kind: 'error', error: { name: 'TransientError', code: 'meta_2' } });
    sandbox.control.addFault({ provider: 'meta', kind: 'token-revoked' });
    const revoked = await client().send(events(2));
    for (const result of revoked) expect(result).toMatchObject({ kind: 'error', error: { name: 'ConfigurationError', code: 'meta_190' } });
    expect(records.map((record) => record.errorCode)).toEqual(['meta_2', 'meta_190']);
  });

  it('turns a dropped connection and a hung request into transient network/timeout errors', async () => {
    sandbox.control.addFault({ provider: 'meta', kind: 'drop' });
    const [dropped] = await client().send(events(1));
    expect(dropped).toMatchObject({ kind: 'error', error: { code: 'network' } });
    sandbox.control.addFault({ provider: 'meta', kind: 'hang' });
    const started = Date.now();
    const [hung] = await client({ http: new HttpClient({ timeoutMs: 200 }) }).send(events(1));
    expect(hung).toMatchObject({ kind: 'error', error: { code: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('MetaClient bisection when Meta names no index', () => {
  it('halves the batch until each bad event stands alone, delivering all the others', async () => {
    const received: string[] = [];
    let requests = 0;
    const fake = await startFakeServer((body, _req, res) => {
      requests += 1;
      const data = (body as { data: MetaServerEvent[] }).data;
      res.setHeader('content-type', 'application/json');
      if (data.some((event) => event.event_name === 'Bad')) {
        res.writeHead(400).end(JSON.stringify({ error: { code: 100, message: 'Invalid parameter', is_transient: false, fbtrace_id: 'X' } }));
        return;
      }
      received.push(...data.map((event) => event.event_id));
      res.writeHead(200).end(JSON.stringify({ events_received: data.length, messages: [], fbtrace_id: 'OK' }));
    });
    try {
      const batch = events(16);
      for (const bad of [2, 11]) batch[bad] = { ...batch[bad]!, event_name: 'Bad' };
      const results = await client({ apiBaseUrl: fake.url }).send(batch);
      expect(results.flatMap((result, index) => (result.kind === 'error' ? [index] : []))).toEqual([2, 11]);
      for (const index of [2, 11]) expect((results[index] as { error: unknown }).error).toBeInstanceOf(PermanentError);
      expect(received.sort()).toEqual(batch.filter((e) => e.event_name !== 'Bad').map((e) => e.event_id).sort());
      // 16 → 8+8 → 4+4 (each half) → 2+2 → 1+1: at most 2·log2(16)+1 rounds per bad event.
      expect(requests).toBeLessThanOrEqual(17);
    } finally {
      await fake.close();
    }
  });

  it('does not bisect a transient failure', async () => {
    let requests = 0;
    const fake = await startFakeServer((_body, _req, res) => {
      requests += 1;
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 1, is_transient: true } }));
    });
    try {
      const results = await client({ apiBaseUrl: fake.url }).send(events(8));
      expect(requests).toBe(1);
      for (const result of results) expect(result.kind === 'error' && result.error).toBeInstanceOf(TransientError);
    } finally {
      await fake.close();
    }
  });

  it('reports Meta\'s version warning with the request, and #2635 as a configuration error naming META_API_VERSION', async () => {
    const versions = await startSandbox({ port: 0, meta: { minApiVersion: 'v27.0', versionWarning: 'Graph API v27.0 nears its end' } });
    try {
      const base = { http, apiBaseUrl: versions.metaBaseUrl, pixelId: SANDBOX_DEFAULTS.meta.pixelId, accessToken: SANDBOX_DEFAULTS.meta.accessToken };
      const seen: RequestRecord[] = [];
      const current = new MetaClient({ ...base, apiVersion: 'v27.0', onRequest: (record) => seen.push(record) });
      const [sent] = await current.send(events(1));
      expect(sent).toMatchObject({ kind: 'sent' });
      expect(seen[0]?.versionWarning).toBe('Graph API v27.0 nears its end');
      const old = new MetaClient({ ...base, apiVersion: 'v25.0' });
      const [refused] = await old.send(events(2));
      expect(refused?.kind).toBe('error');
      const error = refused?.kind === 'error' ? refused.error : undefined;
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error?.message).toContain('META_API_VERSION');
      expect(versions.control.stats('meta').refused).toBe(1);
    } finally {
      await versions.close();
    }
  });
});
