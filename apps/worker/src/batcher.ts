/**
 * Micro-batching in one process (SPEC §5): items submitted one by one are gathered into one
 * provider request, flushed when `maxSize` items are waiting or `lingerMs` after the first one
 * arrived, whichever comes first. Each submitter awaits its own item's result, so every BullMQ
 * job keeps its own outcome while many jobs share one request. While a submitter waits, BullMQ
 * keeps renewing that job's lock, so a lock never expires mid-batch.
 */

export interface BatcherOptions<Item, Result> {
  /** Items per flush at most (`META_BATCH_MAX`, `GOOGLE_BATCH_MAX`). */
  maxSize: number;
  /** How long the first item of a batch waits for company, in ms (`BATCH_LINGER_MS`). */
  lingerMs: number;
  /** Sends one batch; must return one result per item, in order. A throw fails the whole batch via `onError`. */
  flush: (items: Item[]) => Promise<Result[]>;
  /** The result every item of a batch gets when `flush` throws. */
  onError: (error: unknown) => Result;
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
}

export class Batcher<Item, Result> {
  private open: Pending<Item, Result>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: BatcherOptions<Item, Result>) {
    if (options.maxSize < 1) throw new RangeError('maxSize must be at least 1');
  }

  /** Adds an item to the open batch; resolves with its own result (never rejects). */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve) => {
      this.open.push({ item, resolve });
      if (this.open.length >= this.options.maxSize) this.flushOpen();
      else this.timer ??= setTimeout(() => { this.flushOpen(); }, this.options.lingerMs);
    });
  }

  /** Items waiting in the open batch. */
  get waiting(): number {
    return this.open.length;
  }

  /** Sends the open batch now and waits until every batch in flight has its results. */
  async drain(): Promise<void> {
    this.flushOpen();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private flushOpen(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.open.length === 0) return;
    const batch = this.open;
    this.open = [];
    const running = this.run(batch).finally(() => { this.inFlight.delete(running); });
    this.inFlight.add(running);
  }

  private async run(batch: Pending<Item, Result>[]): Promise<void> {
    let results: Result[];
    try {
      results = await this.options.flush(batch.map((pending) => pending.item));
    } catch (error) {
      const failed = this.options.onError(error);
      results = batch.map(() => failed);
    }
    batch.forEach((pending, index) => {
      pending.resolve(results[index] ?? this.options.onError(new Error('batch returned too few results')));
    });
  }
}
