/**
 * One huge event must not get innocent events dropped (issue #13 item 1): requests stay within a
 * byte budget, and a request the provider refuses as too large (413) is halved and re-sent until
 * every part fits; only an event too large on its own fails, as `payload_too_large`. Against the
 * sandbox with a small body limit, so the 413s are real HTTP answers.
 */
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GoogleClient } from './google/client.js';
import { TokenProvider } from './google/oauth.js';
import { buildGoogleRow, type GoogleRow } from './google/payload.js';
import { HttpClient } from './http.js';
import { MetaClient } from './meta/client.js';
import { buildMetaEvent, type MetaServerEvent } from './meta/payload.js';
import type { RequestRecord } from './observer.js';
import { planByBytes } from './request-budget.js';
import { googlePrepared, metaPrepared } from './test/fixtures.js';

const BODY_LIMIT_BYTES = 64 * 1024;
let sandbox: Sandbox;
const http = new HttpClient({ timeoutMs: 5000 });
const records: RequestRecord[] = [];

beforeAll(async () => { sandbox = await startSandbox({ port: 0, maxBodyBytes: BODY_LIMIT_BYTES }); });
afterAll(async () => { await sandbox.close(); await http.close(); });
beforeEach(() => { sandbox.control.reset(); records.length = 0; });

function metaClient(maxRequestBytes: number): MetaClient {
  return new MetaClient({
    http, apiBaseUrl: sandbox.metaBaseUrl, apiVersion: SANDBOX_DEFAULTS.meta.apiVersion, pixelId: SANDBOX_DEFAULTS.meta.pixelId,
    accessToken: SANDBOX_DEFAULTS.meta.accessToken, maxRequestBytes, onRequest: (record) => records.push(record),
  });
}

/** An event whose customData weighs about `bytes` (as a job sealed before the ingest caps existed could). */
const metaEvent = (id: string, bytes = 0): MetaServerEvent => {
  const event = buildMetaEvent(metaPrepared({ eventId: id }, bytes > 0 ? { customData: { blob: 'x'.repeat(bytes) } } : {}));
  return event;
};

describe('Meta: 8 big events and 5 small ones in one batch', () => {
  // Each big event fits on its own (12 KB), but the batch (8 × 12 KB ≈ 96 KB) is over the sandbox's 64 KB.
  const batch = (): MetaServerEvent[] => [
    ...Array.from({ length: 8 }, (_, i) => metaEvent(`big-${i}`, 12_000)),
    ...Array.from({ length: 5 }, (_, i) => metaEvent(`small-${i}`)),
  ];

  it('a budget above the provider limit: the 413 is split and retried, all 13 events are sent', async () => {
    const results = await metaClient(16 * 1024 * 1024).send(batch());
    expect(results.map((result) => result.kind)).toEqual(Array.from({ length: 13 }, () => 'sent'));
    expect(records.filter((record) => record.httpStatus === 413).length).toBeGreaterThan(0);
    expect(sandbox.control.metaEvents().map((event) => event.event.event_id).sort()).toEqual(batch().map((event) => event.event_id).sort());
  });

  it('a budget below the provider limit: no 413 at all, the batch goes in several requests', async () => {
    const results = await metaClient(BODY_LIMIT_BYTES).send(batch());
    expect(results.every((result) => result.kind === 'sent')).toBe(true);
    expect(records.map((record) => record.httpStatus)).not.toContain(413);
    expect(records.length).toBeGreaterThan(1);
    expect(sandbox.control.metaEvents()).toHaveLength(13);
  });

  it('only an event too large on its own fails (payload_too_large); the others are sent', async () => {
    const events = [...batch(), metaEvent('huge', 100_000)];
    // Over the budget: refused before any request. Within the budget but over the provider's limit: found by splitting.
    for (const budget of [BODY_LIMIT_BYTES, 16 * 1024 * 1024]) {
      sandbox.control.reset();
      const results = await metaClient(budget).send(events);
      expect(results[13]).toMatchObject({ kind: 'error', error: { name: 'PermanentError', reason: 'payload_too_large' } });
      expect(results.slice(0, 13).every((result) => result.kind === 'sent')).toBe(true);
      expect(sandbox.control.metaEvents()).toHaveLength(13);
    }
  });
});

describe('Google Ads (legacy upload): the same rule', () => {
  const context = { customerId: SANDBOX_DEFAULTS.google.customerId, timeZone: 'Asia/Tokyo' };
  const row = (id: string, gclidBytes = 20): GoogleRow =>
    buildGoogleRow(googlePrepared({ match: { gclid: `Cj0KCQ${id}${'g'.repeat(gclidBytes)}` } }, { eventId: id, orderId: id }), context);
  const googleClient = (maxRequestBytes: number) => new GoogleClient({
    http, tokens: new TokenProvider({ source: { kind: 'static', accessToken: SANDBOX_DEFAULTS.google.staticAccessToken }, http }),
    apiBaseUrl: sandbox.googleAdsBaseUrl, apiVersion: SANDBOX_DEFAULTS.google.apiVersion, customerId: SANDBOX_DEFAULTS.google.customerId,
    developerToken: SANDBOX_DEFAULTS.google.developerToken, validateOnly: false, maxRequestBytes, onRequest: (record) => records.push(record),
  });

  it('splits a 413 and sends every row; a row too large alone fails alone', async () => {
    const rows = [...Array.from({ length: 8 }, (_, i) => row(`big${i}`, 12_000)), ...Array.from({ length: 5 }, (_, i) => row(`small${i}`)), row('huge', 100_000)];
    const results = await googleClient(16 * 1024 * 1024).send('click', rows);
    expect(results.slice(0, 13).map((result) => result.kind)).toEqual(Array.from({ length: 13 }, () => 'sent'));
    expect(results[13]).toMatchObject({ kind: 'error', error: { name: 'PermanentError', reason: 'payload_too_large' } });
    expect(records.filter((record) => record.httpStatus === 413).length).toBeGreaterThan(0);
  });

  it('keeps each request within the byte budget', async () => {
    const results = await googleClient(BODY_LIMIT_BYTES).send('click', Array.from({ length: 13 }, (_, i) => row(`r${i}`, 12_000)));
    expect(results.every((result) => result.kind === 'sent')).toBe(true);
    expect(records.map((record) => record.httpStatus)).not.toContain(413);
  });
});

describe('planByBytes', () => {
  it('is greedy and order-preserving, and sets aside items that can never fit', () => {
    expect(planByBytes([40, 40, 40, 200, 10], 100, 10)).toEqual({ requests: [[0, 1], [2, 4]], oversized: [3] });
    expect(planByBytes([], 100, 10)).toEqual({ requests: [], oversized: [] });
  });
});
