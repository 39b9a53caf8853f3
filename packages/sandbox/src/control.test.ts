import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSnapshot } from './control.js';
import type { ActiveFault } from './faults.js';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox, type Sandbox } from './server.js';
import { controlCall, DEFAULT_GRANT, getOAuthToken, googleHeaders, metaEvent, postGoogle, postMeta, clickRow, sha256 } from './test/fixtures.js';
import type { OAuthTokenResponse } from './types.js';

const D = SANDBOX_DEFAULTS;

describe('the /__control HTTP API', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startSandbox(); });
  afterAll(async () => { await sandbox.close(); });

  it('reports per-provider and per-destination counts and the accepted events with their digests', async () => {
    await controlCall(sandbox, 'POST', '/__control/reset');
    await postMeta(sandbox, { data: [metaEvent({ event_id: 'a' }), metaEvent({ event_id: 'b' })] });
    await postMeta(sandbox, { data: [metaEvent({ event_id: 'a' })] });
    await postGoogle(sandbox, 'uploadClickConversions', { conversions: [clickRow(), clickRow({ orderId: 'x', gclid: 'bad id' })], partialFailure: true });
    const { status, body } = await controlCall<SandboxSnapshot>(sandbox, 'GET', '/__control/state');
    expect(status).toBe(200);
    expect(body.meta).toMatchObject({ requests: 2, eventsReceived: 3, accepted: 2, deduplicated: 1, rejected: 0, largestBatch: 2 });
    expect(body.meta.byDestination[D.meta.pixelId]).toEqual({ requests: 2, eventsReceived: 3, accepted: 2, deduplicated: 1, rejected: 0, largestBatch: 2 });
    expect(body.meta.events.map((e) => e.event.user_data.em)).toEqual([[sha256('john_smith@gmail.com')], [sha256('john_smith@gmail.com')]]);
    expect(body.google).toMatchObject({ requests: 1, eventsReceived: 2, accepted: 1, rejected: 1 });
    expect(body.google.rows[0]?.row.orderId).toBe('order-1');
    const light = await controlCall<SandboxSnapshot>(sandbox, 'GET', '/__control/state?events=false');
    expect(light.body.meta.events).toEqual([]);
    expect(light.body.meta.accepted).toBe(2);
  });

  it('adds, lists and clears faults, and refuses a malformed one with 400', async () => {
    const added = await controlCall<{ faults: ActiveFault[] }>(sandbox, 'POST', '/__control/faults', [
      { provider: 'meta', kind: 'http-503', count: 1 }, { provider: 'google', kind: 'resource-exhausted', ratio: 0.5 },
    ]);
    expect(added.status).toBe(201);
    expect(added.body.faults.map((f) => f.kind)).toEqual(['http-503', 'resource-exhausted']);
    expect((await postMeta(sandbox, { data: [metaEvent({ event_id: 'z' })] })).status).toBe(503);
    expect((await controlCall<{ faults: ActiveFault[] }>(sandbox, 'GET', '/__control/faults')).body.faults).toHaveLength(1);
    const id = added.body.faults[1]?.id ?? -1;
    expect((await controlCall(sandbox, 'DELETE', `/__control/faults/${id}`)).status).toBe(200);
    expect((await controlCall(sandbox, 'DELETE', `/__control/faults/${id}`)).status).toBe(404);
    const bad = await controlCall<{ error: string; message: string }>(sandbox, 'POST', '/__control/faults', { provider: 'meta', kind: 'explode' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/kind must be one of/);
    await controlCall(sandbox, 'POST', '/__control/faults', { provider: 'meta', kind: 'http-500', ratio: 1 });
    expect((await controlCall(sandbox, 'DELETE', '/__control/faults')).status).toBe(200);
    expect((await postMeta(sandbox, { data: [metaEvent({ event_id: 'y' })] })).status).toBe(200);
  });

  it('expires and revokes tokens, revokes refresh tokens and moves the clock', async () => {
    await controlCall(sandbox, 'POST', '/__control/reset');
    const token = (await getOAuthToken<OAuthTokenResponse>(sandbox, DEFAULT_GRANT)).body.access_token;
    const upload = (): Promise<{ status: number }> => postGoogle(sandbox, 'uploadClickConversions', { conversions: [clickRow({ orderId: `o${String(Math.random())}` })], partialFailure: true }, googleHeaders({ authorization: `Bearer ${token}` }));
    expect((await upload()).status).toBe(200);
    expect((await controlCall<{ expired: number }>(sandbox, 'POST', '/__control/tokens/expire')).body.expired).toBeGreaterThanOrEqual(1);
    expect((await upload()).status).toBe(401);
    expect((await controlCall(sandbox, 'POST', '/__control/tokens/revoke')).status).toBe(200);
    expect((await controlCall(sandbox, 'POST', '/__control/refresh-tokens/revoke', { refreshToken: D.oauth.refreshToken })).status).toBe(200);
    expect((await getOAuthToken(sandbox, DEFAULT_GRANT)).status).toBe(400);
    expect((await controlCall(sandbox, 'POST', '/__control/refresh-tokens/revoke', {})).status).toBe(400);

    const before = sandbox.control.nowMs();
    const moved = await controlCall<{ nowMs: number }>(sandbox, 'POST', '/__control/clock/advance', { ms: 8 * 86_400_000 });
    expect(moved.body.nowMs - before).toBeGreaterThanOrEqual(8 * 86_400_000);
    const stale = await postMeta(sandbox, { data: [metaEvent()] });
    expect(stale.status).toBe(400);
    await controlCall(sandbox, 'POST', '/__control/reset');
    expect((await postMeta(sandbox, { data: [metaEvent()] })).status).toBe(200);
    expect((await getOAuthToken(sandbox, DEFAULT_GRANT)).status).toBe(200);
  });

  it('answers unknown routes with a JSON 404 and oversized bodies with 413', async () => {
    expect((await controlCall(sandbox, 'GET', '/__control/nope')).status).toBe(404);
    const res = await fetch(`${sandbox.url}/v1/unknown`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    const huge = await fetch(`${sandbox.url}/v25.0/${D.meta.pixelId}/events`, { method: 'POST', body: 'x'.repeat(17 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });
});
