import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTRACT_FIELDS } from '@capconnect/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, purchase, startHarness, type Harness } from './test/harness.js';

/**
 * No input is a 5xx: thousands of random and hostile requests (random JSON, mutated valid events,
 * deep nesting, huge strings, prototype-pollution keys, numbers as strings, NaN-like tokens,
 * garbage bytes, wrong content types, bad query strings) against a real app on a real Redis.
 */
let h: Harness;
let server: Server;
let base: string;

beforeAll(async () => {
  h = startHarness();
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => { resolve(); }));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); });
  await h.close();
});

const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'a.b', '[0]', 'emial');
const weirdScalar = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '-0', 'null', 'undefined', 'true', '0x10', ' 42 ', '4980', '', '\u0000', '\ud800'),
  fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constant(Number.MAX_SAFE_INTEGER * 1000), fc.constant(-1),
);
const anyValue = fc.oneof({ maxDepth: 3 }, weirdScalar, fc.jsonValue({ maxDepth: 3 }), fc.array(weirdScalar, { maxLength: 15 }));

const FIELDS = CONTRACT_FIELDS;

/** A valid event with some fields replaced by random or hostile values, or hostile keys added. */
const mutatedEvent = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 12 }),
    mutations: fc.array(
      fc.tuple(fc.constantFrom('', 'customer', 'event', 'consent'), fc.oneof(fc.constantFrom(...Object.values(FIELDS).flat()), hostileKey), anyValue),
      { maxLength: 4 },
    ),
  })
  .map(({ id, mutations }) => {
    const event = JSON.parse(JSON.stringify(purchase(id))) as Record<string, Record<string, unknown>>;
    for (const [section, key, value] of mutations) {
      const target: unknown = section === '' ? event : (event[section] ??= {});
      if (typeof target !== 'object' || target === null) continue;
      // defineProperty, so `__proto__` becomes an own key exactly as JSON.parse would make it.
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return event;
  });

const deepNesting = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) =>
  open.repeat(depth) + (open === '[' ? ']' : '1}').repeat(1) + (open === '[' ? ']' : '}').repeat(depth - 1),
);
const hugeString = fc.integer({ min: 1000, max: 400_000 }).map((length) => JSON.stringify({ ...purchase('huge'), customer: { email: 'a'.repeat(length) } }));
const rawTokens = fc.constantFrom(
  '{"event":{"eventName":"Purchase","value":NaN}}', '{"event":{"eventName":"Purchase","value":1e400}}',
  '{"event":{"eventName":"Purchase","value":-1e-400}}', '{"__proto__":{"polluted":1},"event":{"eventName":"Purchase"}}',
  '{"event":{"eventName":"Purchase","customData":{"constructor":{"prototype":{"polluted":1}}}}}',
  '{"event":{"eventName":"Purchase","eventTime":"1764300000"}}', '{"event":{"eventName":"Purchase","value":"4980"}}',
  '\ufeff{"event":{"eventName":"Purchase"}}', '{"event":{"eventName":"Purchase"}}garbage', '{"a":1,"a":2}', 'null', '0', '"x"', '[]', '{}',
);
const body = fc.oneof(
  { weight: 4, arbitrary: mutatedEvent.map((event) => JSON.stringify(event)) },
  { weight: 2, arbitrary: fc.array(fc.oneof(mutatedEvent, anyValue), { maxLength: 60 }).map((items) => JSON.stringify(items)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: rawTokens },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: mutatedEvent.map((event) => JSON.stringify(event)).chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))) },
);
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('/v1/collect', '/v1/collect/batch', '/v1/preview') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/v1/collect', '/v1/collect/batch'), fc.constantFrom('abc', '-1', '0', '0.05', '1e3', '%00', '', '31', '0.01&wait=2')).map(([route, wait]) => `${route}?wait=${wait}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((id) => `/v1/events/${encodeURIComponent(id)}`) },
  { weight: 1, arbitrary: fc.constantFrom('/v1/events/%E0%A4%A', '/v1/collect/', '/V1/COLLECT', '/v1//collect', '/healthz', '/readyz', '/metrics', '/v1/events/' + 'x'.repeat(300)) },
);
const contentType = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/vnd.api+json', 'text/plain',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset="UTF-8"', '*/*', 'application/jsonx', undefined,
);
const method = fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH');

describe('fuzzing', () => {
  it('never answers 5xx and never crashes, whatever the request', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, contentType, body, fc.boolean(), async (verb, target, type, payload, authenticated) => {
        const headers: Record<string, string> = authenticated ? { 'x-capconnect-token': SECRET } : {};
        if (type !== undefined) headers['content-type'] = type;
        const res = await fetch(`${base}${target}`, { method: verb, headers, ...(verb === 'GET' ? {} : { body: payload }) });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status, `${verb} ${target} → ${res.status}: ${text.slice(0, 200)}`).toBeLessThan(500);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(text).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/);
      }),
      { numRuns: 2500 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Plenty of everything was exercised, and the app still takes a valid event afterwards.
    for (const status of [202, 400, 401, 404, 413, 415]) expect(seen.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    const after = await fetch(`${base}/v1/collect`, { method: 'POST', headers: { 'x-capconnect-token': SECRET, 'content-type': 'application/json' }, body: JSON.stringify(purchase('after-fuzz')) });
    expect(after.status).toBe(202);
  }, 60_000);
});
