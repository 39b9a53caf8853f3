import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const batcher = new Batcher<number, string>({
    maxSize: 3,
    lingerMs: 30,
    flush: async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (items.includes(-1)) throw new Error('boom');
      return items.map((item) => `r${item}`);
    },
    onError: () => 'failed',
  });
  return { batches, batcher };
}

describe('Batcher', () => {
  it('flushes as soon as maxSize items wait, and the rest after the linger', async () => {
    const { batches, batcher } = recorder();
    const started = Date.now();
    const results = await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.submit(item)));
    expect(results).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('gives every item of a throwing batch the error result, and other batches are unaffected', async () => {
    const { batcher } = recorder();
    const results = await Promise.all([1, -1, 2, 3].map((item) => batcher.submit(item)));
    expect(results).toEqual(['failed', 'failed', 'failed', 'r3']);
  });

  it('drain sends the open batch at once and waits for batches in flight', async () => {
    const { batches, batcher } = recorder(50);
    const pending = [batcher.submit(1), batcher.submit(2)];
    expect(batcher.waiting).toBe(2);
    const started = Date.now();
    await batcher.drain();
    expect(Date.now() - started).toBeLessThan(200);
    expect(batches).toEqual([[1, 2]]);
    await expect(Promise.all(pending)).resolves.toEqual(['r1', 'r2']);
  });
});
