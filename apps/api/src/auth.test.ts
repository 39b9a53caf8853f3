import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier, parseSignatureHeader, signBody, verifySignature } from './auth.js';
import { NOW_MS, ROTATED_SECRET, SECRET, SIGNING_SECRET, purchase, reply, startHarness, type Harness } from './test/harness.js';

const harnesses: Harness[] = [];
afterEach(async () => { for (const harness of harnesses.splice(0)) await harness.close(); });
function harness(env: Record<string, string> = {}): Harness {
  const started = startHarness({ env });
  harnesses.push(started);
  return started;
}

const nowS = Math.floor(NOW_MS / 1000);
const body = JSON.stringify(purchase('auth-1'));
const collect = (h: Harness, headers: Record<string, string>, payload = body) =>
  request(h.app).post('/v1/collect').set({ 'content-type': 'application/json', ...headers }).send(payload).then(reply);

describe('shared-secret token', () => {
  it('accepts the current and the rotated secret, and refuses a missing, wrong or prefixed one alike', async () => {
    const h = harness();
    expect((await collect(h, { 'x-capconnect-token': SECRET })).status).toBe(202);
    expect((await collect(h, { 'x-capconnect-token': ROTATED_SECRET })).status).toBe(202);
    const refusals = await Promise.all([
      collect(h, {}),
      collect(h, { 'x-capconnect-token': 'wrong-secret-0123456789abcdef' }),
      collect(h, { 'x-capconnect-token': SECRET.slice(0, -1) }),
      collect(h, { 'x-capconnect-token': `${SECRET}x` }),
      collect(h, { 'x-capconnect-token': '' }),
      collect(h, { authorization: `Bearer ${SECRET}` }),
    ]);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(401);
      expect(refusal.body).toEqual({ error: 'unauthorized', message: 'missing or invalid credentials' });
    }
  });

  it('guards every /v1 route but not the health probes', async () => {
    const h = harness();
    for (const res of [
      await request(h.app).post('/v1/collect/batch').set('content-type', 'application/json').send('[]'),
      await request(h.app).post('/v1/preview').set('content-type', 'application/json').send(body),
      await request(h.app).get('/v1/events/abc'),
    ]) expect(res.status).toBe(401);
    expect((await request(h.app).get('/healthz')).status).toBe(200);
  });

  it('checks the token before the body: an unauthenticated oversized or non-JSON body is a 401', async () => {
    const h = harness();
    expect((await request(h.app).post('/v1/collect').set('content-type', 'text/plain').send('x')).status).toBe(401);
  });

  it('compares against every secret with a constant-time digest comparison', () => {
    const verify = createTokenVerifier(['a'.repeat(20), 'b'.repeat(20)]);
    expect([verify('a'.repeat(20)), verify('b'.repeat(20)), verify('c'.repeat(20)), verify(undefined), verify('a')]).toEqual([true, true, false, false, false]);
    expect(createTokenVerifier([])('anything')).toBe(false);
  });
});

describe('HMAC signature (WEBHOOK_SIGNING_SECRET set)', () => {
  const signed = (t: number, payload = body, secret = SIGNING_SECRET) => `t=${t},v1=${signBody(secret, t, payload)}`;

  it('accepts a fresh signature over the exact raw body', async () => {
    const h = harness({ WEBHOOK_SIGNING_SECRET: SIGNING_SECRET });
    const res = await collect(h, { 'x-capconnect-token': SECRET, 'x-capconnect-signature': signed(nowS - 10) });
    expect(res.status).toBe(202);
  });

  it('refuses a missing, stale (> 5 min), future, tampered, wrongly keyed or malformed signature with the same 401', async () => {
    const h = harness({ WEBHOOK_SIGNING_SECRET: SIGNING_SECRET });
    const tampered = body.replace('4980', '4981');
    const cases = [
      {},
      { 'x-capconnect-signature': signed(nowS - 301) },
      { 'x-capconnect-signature': signed(nowS + 301) },
      { 'x-capconnect-signature': signed(nowS), tampered: 'yes' },
      { 'x-capconnect-signature': signed(nowS, body, 'another-secret-0123456789') },
      { 'x-capconnect-signature': `t=${nowS}` },
      { 'x-capconnect-signature': 'garbage' },
    ];
    for (const { tampered: isTampered, ...headers } of cases) {
      const res = await collect(h, { 'x-capconnect-token': SECRET, ...headers }, isTampered ? tampered : body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized', message: 'missing or invalid credentials' });
    }
    // A valid signature does not replace the token.
    expect((await collect(h, { 'x-capconnect-signature': signed(nowS) })).status).toBe(401);
    expect(await h.producer.queues.meta.count()).toBe(0);
  });

  it('signs GET requests over an empty body', async () => {
    const h = harness({ WEBHOOK_SIGNING_SECRET: SIGNING_SECRET });
    const unsigned = await request(h.app).get('/v1/events/abc').set('x-capconnect-token', SECRET);
    expect(unsigned.status).toBe(401);
    const res = await request(h.app).get('/v1/events/abc').set('x-capconnect-token', SECRET).set('x-capconnect-signature', signed(nowS, ''));
    expect(res.status).toBe(404);
  });

  it('parses several v1 values (secret rotation on the client side)', () => {
    const header = `t=${nowS},v1=${'0'.repeat(64)},v1=${signBody(SIGNING_SECRET, nowS, 'x')}`;
    expect(parseSignatureHeader(header)?.digests).toHaveLength(2);
    expect(verifySignature(SIGNING_SECRET, header, Buffer.from('x'), NOW_MS)).toBe(true);
    expect(verifySignature(SIGNING_SECRET, header, Buffer.from('y'), NOW_MS)).toBe(false);
  });
});
