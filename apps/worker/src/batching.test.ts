import { afterEach, describe, expect, it } from 'vitest';
import { metaEvent, startHarness, type Harness } from './test/harness.js';

/**
 * How many provider requests a given arrival pattern costs, through real BullMQ, Redis and the
 * sandbox. Counts only: how long a batch waited belongs in `pnpm bench` (scenario 5).
 */
let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function delivered(h: Harness, total: number): Promise<void> {
  await h.waitFor(async () => ((await h.counts('meta'))['completed'] ?? 0) >= total, 30_000);
}

describe('batching at the edges', () => {
  it('sends a 1000-event burst as ⌈1000 / META_BATCH_MAX⌉ requests', async () => {
    // Full batches leave at once whatever the linger; it is only the cap on waiting for a backlog
    // (10 lingers). A long one keeps a slow fetch on a loaded machine from cutting a batch short.
    const h = harness = await startHarness({ deps: { batchLingerMs: 500 }, metaBatchMax: 500 });
    await h.enqueue(Array.from({ length: 1000 }, (_, index) => metaEvent(`burst-${index}`)));
    await delivered(h, 1000);
    expect(h.sandbox.control.stats('meta').requests).toBe(2);
    expect(h.sandbox.control.metaEvents()).toHaveLength(1000);
  });

  it('does not stretch the linger at trickle rate: each event more than a linger apart leaves alone', async () => {
    // Linger 100 ms, backlog ceiling 1000 ms, one event every 300 ms: a batch held for a backlog
    // that does not exist would take the next events along (fewer requests than events).
    const h = harness = await startHarness({ deps: { batchLingerMs: 100 } });
    const count = 5;
    for (let index = 0; index < count; index += 1) {
      await h.enqueue([metaEvent(`trickle-${index}`)]);
      await sleep(300);
    }
    await delivered(h, count);
    expect(h.sandbox.control.stats('meta').requests).toBe(count);
  });
});
