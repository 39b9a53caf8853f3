import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier } from './auth.js';
import { signBody, signatureHeaderV2, signRequestV2 } from './signature.js';
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

describe('HMAC signature v2 (WEBHOOK_SIGNING_SECRET set)', () => {
  const signing = { WEBHOOK_SIGNING_SECRET: SIGNING_SECRET };
  const sign = (t: number, request: { method?: string; path?: string; query?: string; body?: string }, secret = SIGNING_SECRET) =>
    `t=${t},v2=${signRequestV2(secret, t, { method: request.method ?? 'POST', path: request.path ?? '/v1/collect', query: request.query ?? '', body: request.body ?? body })}`;
  const signedCollect = (h: Harness, signature: string, path = '/v1/collect', payload = body) =>
    request(h.app).post(path).set({ 'content-type': 'application/json', 'x-capconnect-token': SECRET, 'x-capconnect-signature': signature }).send(payload).then(reply);

  it('accepts a fresh signature over method, path, query and the exact raw body', async () => {
    const h = harness(signing);
    expect((await signedCollect(h, signatureHeaderV2(SIGNING_SECRET, { method: 'POST', path: '/v1/collect', query: '', body }, NOW_MS))).status).toBe(202);
  });

  it('refuses a missing, stale (> 5 min), future, tampered, wrongly keyed or malformed signature with the same 401', async () => {
    const h = harness(signing);
    const tampered = body.replace('4980', '4981');
    const cases = [
      {},
      { 'x-capconnect-signature': sign(nowS - 301, {}) },
      { 'x-capconnect-signature': sign(nowS + 301, {}) },
      { 'x-capconnect-signature': sign(nowS, {}), tampered: 'yes' },
      { 'x-capconnect-signature': sign(nowS, {}, 'another-secret-0123456789') },
      { 'x-capconnect-signature': `t=${nowS}` },
      { 'x-capconnect-signature': 'garbage' },
    ];
    for (const { tampered: isTampered, ...headers } of cases) {
      const res = await collect(h, { 'x-capconnect-token': SECRET, ...headers }, isTampered ? tampered : body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized', message: 'missing or invalid credentials' });
    }
    // A valid signature does not replace the token.
    expect((await collect(h, { 'x-capconnect-signature': sign(nowS, {}) })).status).toBe(401);
    expect(await h.producer.queues.meta.count()).toBe(0);
  });

  it('binds the route and query: a signature made for /v1/preview or ?wait=0 is refused elsewhere', async () => {
    const h = harness(signing);
    expect((await signedCollect(h, sign(nowS, { path: '/v1/preview' }))).status).toBe(401);
    expect((await signedCollect(h, sign(nowS, { path: '/v1/collect', query: 'wait=0' }), '/v1/collect?wait=2')).status).toBe(401);
    expect((await signedCollect(h, sign(nowS, { method: 'PUT' }))).status).toBe(401);
    // The query is canonical: order and encoding of the pairs do not matter.
    expect((await signedCollect(h, sign(nowS, { query: 'wait=0&b=%7E' }), '/v1/collect?b=~&wait=0')).status).toBe(202);
    const get = (path: string, signature: string) => request(h.app).get(path).set({ 'x-capconnect-token': SECRET, 'x-capconnect-signature': signature });
    expect((await get('/v1/events/abc', sign(nowS, { method: 'GET', path: '/v1/events/abc', body: '' }))).status).toBe(404);
    expect((await get('/v1/events/def', sign(nowS - 1, { method: 'GET', path: '/v1/events/abc', body: '' }))).status).toBe(401);
    expect(await h.producer.queues.meta.count()).toBe(1);
  });

  it('refuses v1 signatures unless WEBHOOK_SIGNING_ACCEPT_V1 is set', async () => {
    const v1 = (t: number) => `t=${t},v1=${signBody(SIGNING_SECRET, t, body)}`;
    expect((await signedCollect(harness(signing), v1(nowS))).status).toBe(401);
    const legacy = harness({ ...signing, WEBHOOK_SIGNING_ACCEPT_V1: 'true' });
    expect((await signedCollect(legacy, v1(nowS))).status).toBe(202);
    expect((await signedCollect(legacy, sign(nowS, {}))).status).toBe(202);
  });

  it('refuses a replayed signature once its request was answered 2xx, but lets a refused request be sent again', async () => {
    const h = harness(signing);
    const signature = sign(nowS, {});
    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await signedCollect(h, signature);
      answers.push(`${answer.status} ${(answer.body as { error?: string }).error ?? ''}`.trim());
    }
    expect(answers).toEqual(['202', '401 signature_replayed', '401 signature_replayed']);
    const preview = sign(nowS, { path: '/v1/preview' });
    expect([(await signedCollect(h, preview, '/v1/preview')).status, (await signedCollect(h, preview, '/v1/preview')).status]).toEqual([200, 401]);
    // A non-2xx answer (here 422: no provider can take it) releases the signature: the same signed request is judged again, not called a replay.
    const invalid = JSON.stringify({ customer: {}, event: { eventName: 'Purchase' } });
    const invalidSignature = sign(nowS, { body: invalid });
    expect([(await signedCollect(h, invalidSignature, '/v1/collect', invalid)).status, (await signedCollect(h, invalidSignature, '/v1/collect', invalid)).status]).toEqual([422, 422]);
    expect(await h.producer.queues.meta.count()).toBe(1);
  });
});
