import type { AddressInfo } from 'node:net';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { CANARIES } from '@capconnect/testkit';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { checkItems } from './ingest.js';
import { NOW_MS, SECRET, purchase, reply, startHarness, type Harness, type HarnessOptions } from './test/harness.js';

/** Issue #13 items on the request path: bounded waits, BOM bodies, preview keys, batch fairness. */

const harnesses: Harness[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const harness of harnesses.splice(0)) await harness.close();
});
function harness(options: HarnessOptions = {}): Harness {
  const started = startHarness(options);
  harnesses.push(started);
  return started;
}

const headers = { 'x-capconnect-token': SECRET, 'content-type': 'application/json' };

describe('?wait= concurrency cap (WAIT_MAX_CONCURRENT)', () => {
  it('refuses waits over the cap at once with the current state, as 202 with waitGranted false', async () => {
    const h = harness({ env: { WAIT_MAX_CONCURRENT: '2' } });
    const server = h.app.listen(0, '127.0.0.1');
    cleanups.push(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
    await new Promise((resolve) => { server.once('listening', resolve); });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // No worker runs: these two waits hold until they are aborted.
    const abort = new AbortController();
    const held = ['w-1', 'w-2'].map((id) => fetch(`${base}/v1/collect?wait=30`, {
      method: 'POST', headers, body: JSON.stringify(purchase(id)), signal: abort.signal,
    }).catch(() => undefined));
    await expect.poll(() => h.waitGate.active, { timeout: 10_000 }).toBe(2);

    const refused = await Promise.all(['w-3', 'w-4', 'w-5'].map((id) => fetch(`${base}/v1/collect?wait=30`, { method: 'POST', headers, body: JSON.stringify(purchase(id)) })));
    for (const res of refused) {
      expect(res.status).toBe(202);
      expect(res.headers.get('x-capconnect-wait')).toBe('not-granted');
      expect(await res.json()).toMatchObject({ waitGranted: false, accepted: false, results: [{ provider: 'meta', status: 'queued' }, { provider: 'google', status: 'queued' }] });
    }
    const batch = await fetch(`${base}/v1/collect/batch?wait=30`, { method: 'POST', headers, body: JSON.stringify([purchase('w-6')]) });
    expect([batch.status, ((await batch.json()) as { waitGranted?: boolean }).waitGranted]).toEqual([202, false]);
    expect(h.waitGate.refused).toBe(4);
    // The refused events were stored all the same.
    expect(await h.producer.queues.meta.count()).toBe(6);

    abort.abort();
    await Promise.all(held);
    await expect.poll(() => h.waitGate.active, { timeout: 10_000 }).toBe(0);
  });
});

describe('request bodies', () => {
  it('accepts a UTF-8 byte order mark before the JSON', async () => {
    const h = harness();
    const res = reply(await request(h.app).post('/v1/collect').set(headers).send(`\ufeff${JSON.stringify(purchase('bom-1'))}`));
    expect([res.status, res.body.eventId]).toEqual([202, 'bom-1']);
  });
});

describe('preview', () => {
  it('masks customData keys as well as values: a canary in a key never comes back', async () => {
    const h = harness();
    const event = purchase('pv-1', { event: { customData: { [CANARIES.email]: 1, [CANARIES.custom]: { plain: 'x' }, tier: 'gold' } } });
    const res = reply(await request(h.app).post('/v1/preview').set(headers).send(JSON.stringify(event)));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARIES.email);
    expect(res.text).not.toContain(CANARIES.email.toLowerCase());
    expect(res.text).not.toContain(CANARIES.custom);
    expect(res.text).toContain('[sealed-2]');
  });
});

describe('batch fairness', () => {
  it('lets other callbacks run while a heavy batch is normalized', async () => {
    const h = harness({ env: { BATCH_MAX_EVENTS: '1000' } });
    const phones = Array.from({ length: 10 }, (_, i) => `090-1234-${String(1000 + i)}`);
    const items = Array.from({ length: 1000 }, (_, i) => purchase(`heavy-${i}`, { customer: { phone: phones } }));
    let ticks = 0;
    let finished = false;
    const tick = () => { if (!finished) { ticks += 1; setImmediate(tick); } };
    setImmediate(tick);
    const checked = await checkItems(items, h.config, NOW_MS, createLogger({ service: 'api', destination: memoryDestination() }));
    finished = true;
    expect(checked.filter((item) => item.kind === 'prepared')).toHaveLength(1000);
    // One turn of the event loop at least every 50 items: 19 yields for 1000 items.
    expect(ticks).toBeGreaterThanOrEqual(19);
  });
});
