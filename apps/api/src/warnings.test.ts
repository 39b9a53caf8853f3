import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET, purchase, reply, startHarness, type Harness } from './test/harness.js';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

const post = async (harness: Harness, path: string, body: unknown) =>
  reply(await request(harness.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));

describe('warnings at ingest', () => {
  it('warns on the second and later events of a batch that reuse an order id, not on a repeated event', async () => {
    h = startHarness();
    const res = await post(h, '/v1/collect/batch', [
      purchase('w-1', { event: { orderId: 'shared-order' } }),
      purchase('w-2', { event: { orderId: 'shared-order' } }),
      purchase('w-1', { event: { orderId: 'shared-order' } }),
      purchase('w-3', { event: { orderId: 'own-order' } }),
      purchase('w-4', { event: { orderId: 'shared-order' } }),
    ]);
    expect(res.status).toBe(202);
    const flagged = res.body.results!.map((result) => (result.warnings ?? []).some((warning) => warning.code === 'duplicate_order_id'));
    expect(flagged).toEqual([false, true, false, false, true]);
    expect(res.body.results![1]!.warnings).toContainEqual({ field: 'event.orderId', code: 'duplicate_order_id' });
    // A warning, not a refusal: the event is still queued for both providers.
    expect(res.body.results![1]!.status).toBe('queued');
  });

  it('warns when gbraid and wbraid come together', async () => {
    h = startHarness();
    const res = await post(h, '/v1/collect', purchase('w-braid', { event: { gclid: undefined, gbraid: 'gbraid-1', wbraid: 'wbraid-1' } }));
    expect(res.status).toBe(202);
    expect(res.body.warnings).toContainEqual({ field: 'event.wbraid', code: 'gbraid_and_wbraid' });
  });
});
