import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';

function recorder(delayMs = 0, extra: { maxSize?: number; maxLingerMs?: number; canGrow?: () => boolean; backlog?: () => boolean } = {}) {
  const batches: number[][] = [];
  const batcher = new Batcher<number, string>({
    maxSize: extra.maxSize ?? 3,
    lingerMs: 30,
    ...(extra.maxLingerMs !== undefined && { maxLingerMs: extra.maxLingerMs }),
    ...(extra.canGrow !== undefined && { canGrow: extra.canGrow }),
    ...(extra.backlog !== undefined && { backlog: extra.backlog }),
    send: async (items) => {
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

  it('sends a key once per batch and gives every submitter of it the same result', async () => {
    const { batches, batcher } = recorder();
    const results = await Promise.all([batcher.submit(1, 'a'), batcher.submit(2, 'b'), batcher.submit(1, 'a'), batcher.submit(3)]);
    expect(results).toEqual(['r1', 'r2', 'r1', 'r3']);
    expect(batches).toEqual([[1, 2, 3]]);
    // In a later batch the key is new again.
    await expect(batcher.submit(1, 'a')).resolves.toBe('r1');
    expect(batches).toEqual([[1, 2, 3], [1]]);
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

  describe('while a backlog drains (maxLingerMs > lingerMs)', () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    /** Submits `count` items, one every `everyMs`, like a worker fetching a backlog slower than maxSize per linger. */
    async function trickle(batcher: Batcher<number, string>, count: number, everyMs: number, onItem?: (index: number) => void) {
      const pending: Promise<string>[] = [];
      for (let index = 0; index < count; index += 1) {
        pending.push(batcher.submit(index));
        onItem?.(index);
        await sleep(everyMs);
      }
      return Promise.all(pending);
    }

    it('keeps a growing batch open past the linger until it is full', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 10, maxLingerMs: 300 });
      // 10 items at one per 8 ms take ~80 ms: more than two 30 ms lingers.
      const results = await trickle(batcher, 10, 8);
      expect(results).toHaveLength(10);
      expect(batches.map((batch) => batch.length)).toEqual([10]);
    });

    it('sends a batch that outlived its linger as soon as the source runs dry', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 10, maxLingerMs: 3000 });
      const pending = [batcher.submit(1), batcher.submit(2)];
      await sleep(70); // past two lingers, held open for a backlog
      expect(batches).toEqual([]);
      const dryAt = performance.now();
      batcher.noteDrained();
      await Promise.all(pending);
      expect(batches).toEqual([[1, 2]]);
      expect(performance.now() - dryAt).toBeLessThan(20);
    });

    it('falls back to the plain linger once the source ran dry', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 10, maxLingerMs: 300 });
      const started = performance.now();
      await trickle(batcher, 3, 1, (index) => { if (index === 2) batcher.noteDrained(); });
      expect(batches).toEqual([[0, 1, 2]]);
      expect(performance.now() - started).toBeLessThan(150);
    });

    it('waits for a backlog that has not reached it yet (a worker still prefetching)', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 4, maxLingerMs: 300 });
      const first = batcher.submit(1);
      await sleep(100); // three lingers with one item, the source not yet dry
      const rest = [batcher.submit(2), batcher.submit(3), batcher.submit(4)];
      await Promise.all([first, ...rest]);
      expect(batches).toEqual([[1, 2, 3, 4]]);
    });

    it('stops waiting when the source cannot hand over more (every slot taken)', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 10, maxLingerMs: 3000, canGrow: () => false });
      const started = performance.now();
      await Promise.all([batcher.submit(1), batcher.submit(2)]);
      expect(batches).toEqual([[1, 2]]);
      expect(performance.now() - started).toBeLessThan(200);
    });

    it('asks `backlog` when a linger ends: no backlog, no extension, whatever noteDrained said', async () => {
      let backlog = false;
      const { batches, batcher } = recorder(0, { maxSize: 10, maxLingerMs: 3000, backlog: () => backlog });
      // Two items 45 ms apart (1.5 lingers): held for a backlog, they would share one batch.
      const first = batcher.submit(1);
      await sleep(45);
      await Promise.all([first, batcher.submit(2)]);
      expect(batches).toEqual([[1], [2]]);
      backlog = true;
      const third = batcher.submit(3);
      await sleep(45);
      const fourth = batcher.submit(4);
      backlog = false;
      await Promise.all([third, fourth]);
      expect(batches).toEqual([[1], [2], [3, 4]]);
    });

    it('never waits longer than maxLingerMs', async () => {
      const { batches, batcher } = recorder(0, { maxSize: 1000, maxLingerMs: 90 });
      const started = performance.now();
      const first = batcher.submit(0);
      const more = trickle(batcher, 30, 5);
      await first;
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(55);
      expect(waited).toBeLessThan(90 + 60);
      await more;
      expect(batches.flat()).toHaveLength(31);
      expect(batches.length).toBeGreaterThanOrEqual(2);
    });
  });

  it('keeps the plain linger when no maxLingerMs is set', async () => {
    const { batches, batcher } = recorder(0, { maxSize: 100 });
    const pending: Promise<string>[] = [];
    for (let index = 0; index < 10; index += 1) {
      pending.push(batcher.submit(index));
      await new Promise((resolve) => setTimeout(resolve, 8));
    }
    await Promise.all(pending);
    expect(batches.length).toBeGreaterThanOrEqual(2);
  });

  it('with a gate, a due batch keeps filling while it waits, up to maxSize, and the overflow becomes the next batch', async () => {
    const sent: { items: number[]; gated: boolean }[] = [];
    const permits: (() => void)[] = [];
    const batcher = new Batcher<number, string>({
      maxSize: 4,
      lingerMs: 10,
      gate: () => new Promise<void>((resolve) => { permits.push(resolve); }),
      send: (items, info) => { sent.push({ items, gated: info.gated }); return Promise.resolve(items.map((item) => `r${item}`)); },
      onError: () => 'failed',
    });
    const first = [batcher.submit(1)];
    // The linger is over: the batch is due and waits for its permit; nothing has left.
    while (permits.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    first.push(batcher.submit(2), batcher.submit(3), batcher.submit(4), batcher.submit(5), batcher.submit(6));
    expect(sent).toEqual([]);
    permits.shift()?.();
    expect(await Promise.all(first.slice(0, 4))).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(sent).toEqual([{ items: [1, 2, 3, 4], gated: true }]);
    // The overflow waits for a permit of its own.
    while (permits.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    permits.shift()?.();
    expect(await Promise.all(first.slice(4))).toEqual(['r5', 'r6']);
    expect(sent[1]).toEqual({ items: [5, 6], gated: true });
  });

  it('with a gate that fails or a drain, sends ungated (the sender then pays for its own requests)', async () => {
    const sent: boolean[] = [];
    const failing = new Batcher<number, string>({
      maxSize: 2, lingerMs: 5, gate: () => Promise.reject(new Error('quota store down')),
      send: (items, info) => { sent.push(info.gated); return Promise.resolve(items.map(String)); }, onError: () => 'failed',
    });
    expect(await Promise.all([failing.submit(1), failing.submit(2)])).toEqual(['1', '2']);
    const never = new Batcher<number, string>({
      maxSize: 2, lingerMs: 5, gate: () => new Promise<void>(() => undefined),
      send: (items, info) => { sent.push(info.gated); return Promise.resolve(items.map(String)); }, onError: () => 'failed',
    });
    const pending = [never.submit(3), never.submit(4), never.submit(5)];
    await never.drain();
    expect(await Promise.all(pending)).toEqual(['3', '4', '5']);
    expect(sent).toEqual([false, false, false]);
  });

  it('with a gate and `backlog`, a batch held for a backlog asks the gate only once it is due, and keeps filling while it waits', async () => {
    let backlog = true;
    const permits: (() => void)[] = [];
    const sent: { items: number[]; gated: boolean }[] = [];
    const batcher = new Batcher<number, string>({
      maxSize: 10, lingerMs: 10, maxLingerMs: 60_000, backlog: () => backlog,
      gate: () => new Promise<void>((resolve) => { permits.push(resolve); }),
      send: (items, info) => { sent.push({ items, gated: info.gated }); return Promise.resolve(items.map((item) => `r${item}`)); },
      onError: () => 'failed',
    });
    const pending = [batcher.submit(1)];
    await new Promise((resolve) => setTimeout(resolve, 60)); // several lingers, all extended for the backlog
    expect(permits).toHaveLength(0);
    pending.push(batcher.submit(2));
    backlog = false;
    while (permits.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    pending.push(batcher.submit(3));
    expect(sent).toEqual([]);
    permits.shift()?.();
    expect(await Promise.all(pending)).toEqual(['r1', 'r2', 'r3']);
    expect(sent).toEqual([{ items: [1, 2, 3], gated: true }]);
    expect(permits).toHaveLength(0);
  });
});
