/**
 * Micro-batching in one process (docs/architecture.md#batching): items submitted one by one are gathered into one
 * provider request, sent when `maxSize` items are waiting or `lingerMs` after the first one
 * arrived, whichever comes first. Each submitter awaits its own item's result, so every BullMQ
 * job keeps its own outcome while many jobs share one request. While a submitter waits, BullMQ
 * keeps renewing that job's lock, so a lock never expires mid-batch.
 *
 * Backlog: while the source is draining a backlog (the queue has not run dry since the batch
 * opened, see `noteDrained`), the linger is extended one `lingerMs` at a time, up to
 * `maxLingerMs`. A backlog then goes out in full batches: a worker that fetches fewer than
 * `maxSize` jobs per linger would otherwise cut it into partial ones, and a BullMQ worker that
 * starts on a backlog prefetches up to its concurrency before it hands most jobs over, which
 * would send the first job alone. Live traffic keeps running the queue dry, so it keeps the
 * plain linger and its latency. The extension also stops when the source cannot hand over more
 * (`canGrow`: a worker whose every concurrency slot holds a job fetches nothing new).
 *
 * Gate: with a `gate` (the Data Manager request quota, docs/architecture.md#data-manager-path), a
 * batch that is due waits for it before it leaves and keeps filling meanwhile, up to `maxSize`;
 * further items open the next batch. Under quota pressure batches therefore grow instead of
 * requests piling up.
 *
 * A source that knows better than "ran dry since the batch opened" passes `backlog`. A BullMQ
 * worker needs it: it reports `drained` on the empty fetch that follows a job, before that job's
 * processor runs, so at trickle rate every batch would open after the report and wait the whole
 * `maxLingerMs` for a backlog that does not exist (docs/decisions.md#backlog-batching-beyond-the-linger).
 */

export interface BatcherOptions<Item, Result> {
  /** Items per batch at most, in items (`META_BATCH_MAX`, `GOOGLE_BATCH_MAX`). */
  maxSize: number;
  /** How long the first item of a batch waits for company, in ms (`BATCH_LINGER_MS`). */
  lingerMs: number;
  /**
   * Sends one batch; must return one result per item, in order. A throw fails the whole batch via
   * `onError`. `gated` is true when the batch passed `gate` (it holds what the gate granted).
   */
  send: (items: Item[], info: { gated: boolean }) => Promise<Result[]>;
  /** The result every item of a batch gets when `send` throws. */
  onError: (error: unknown) => Result;
  /**
   * Longest wait of a batch while a backlog drains, in ms.
   * @defaultValue `lingerMs` (no extension)
   */
  maxLingerMs?: number;
  /**
   * False while the source cannot hand over more items until some finish.
   * @defaultValue always true
   */
  canGrow?: () => boolean;
  /**
   * Awaited before a due batch leaves; the batch keeps filling while it waits. A rejection sends ungated.
   * @defaultValue none: a due batch leaves at once
   */
  gate?: () => Promise<void>;
  /**
   * True while the source is draining a backlog, asked when a linger ends.
   * @defaultValue true while the source has not called `noteDrained` since the open batch began
   */
  backlog?: () => boolean;
}

/** One item of the open batch and everyone waiting for it. */
interface Entry<Item, Result> {
  item: Item;
  key: string | undefined;
  waiters: ((result: Result) => void)[];
}

export class Batcher<Item, Result> {
  private open: Entry<Item, Result>[] = [];
  /** Open entries by key, so one key is sent once per batch. */
  private openByKey = new Map<string, Entry<Item, Result>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxLingerMs: number;
  /** When the open batch got its first item (performance.now()). */
  private openedAt = 0;
  /** The source ran dry since the open batch began: no backlog, plain linger. */
  private drainedSinceOpen = true;
  /** The open batch is due and waits for `gate`. */
  private gating = false;

  constructor(private readonly options: BatcherOptions<Item, Result>) {
    if (options.maxSize < 1) throw new RangeError('maxSize must be at least 1');
    this.maxLingerMs = options.maxLingerMs ?? options.lingerMs;
  }

  /**
   * Adds an item to the open batch; resolves with its own result (never rejects). An item whose
   * `key` is already in the open batch is not added again: it shares that entry's result. (BullMQ
   * is at-least-once: after a Redis restart a job can be handed out again while its first run
   * still waits here, and the same order twice in one Google request fails as DUPLICATE_ORDER_ID.)
   */
  submit(item: Item, key?: string): Promise<Result> {
    return new Promise<Result>((resolve) => {
      const existing = key === undefined ? undefined : this.openByKey.get(key);
      if (existing) {
        existing.waiters.push(resolve);
        return;
      }
      if (this.open.length === 0) {
        this.openedAt = performance.now();
        this.drainedSinceOpen = false;
      }
      const entry: Entry<Item, Result> = { item, key, waiters: [resolve] };
      this.open.push(entry);
      if (key !== undefined) this.openByKey.set(key, entry);
      // A batch waiting for its gate leaves when the gate opens; meanwhile it only grows.
      if (this.gating) return;
      if (this.open.length >= this.options.maxSize) this.due();
      else this.timer ??= setTimeout(() => { this.lingerOver(); }, this.options.lingerMs);
    });
  }

  /**
   * The source found nothing more to hand over (BullMQ's `drained`): the open batch waits no longer
   * than `lingerMs`, and goes at once if it already waited that long (the end of a backlog).
   */
  noteDrained(): void {
    this.drainedSinceOpen = true;
    if (this.open.length > 0 && performance.now() - this.openedAt >= this.options.lingerMs) this.due();
  }

  /** Items waiting in the open batch. */
  get waiting(): number {
    return this.open.length;
  }

  /** Sends the open batch now (without waiting for a gate) and waits until every batch in flight has its results. */
  async drain(): Promise<void> {
    while (this.open.length > 0) this.sendOpen(false);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private lingerOver(): void {
    this.timer = undefined;
    const waitedMs = performance.now() - this.openedAt;
    const canGrow = this.options.canGrow?.() ?? true;
    const backlog = this.options.backlog?.() ?? !this.drainedSinceOpen;
    if (backlog && canGrow && waitedMs + this.options.lingerMs <= this.maxLingerMs) {
      this.timer = setTimeout(() => { this.lingerOver(); }, this.options.lingerMs);
      return;
    }
    this.due();
  }

  /** The open batch should leave: now, or once `gate` lets it (it keeps filling meanwhile). */
  private due(): void {
    const { gate } = this.options;
    if (gate === undefined) {
      this.sendOpen(false);
      return;
    }
    if (this.gating || this.open.length === 0) return;
    this.clearTimer();
    this.gating = true;
    void gate().then(() => true, () => false).then((granted) => {
      this.gating = false;
      this.sendOpen(granted);
      if (this.open.length === 0) return;
      // Items beyond a full batch arrived while it waited: they are the next batch.
      this.openedAt = performance.now();
      if (this.open.length >= this.options.maxSize) this.due();
      else this.timer ??= setTimeout(() => { this.lingerOver(); }, this.options.lingerMs);
    });
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Sends the first `maxSize` open items as one batch. */
  private sendOpen(gated: boolean): void {
    this.clearTimer();
    if (this.open.length === 0) return;
    const batch = this.open.splice(0, this.options.maxSize);
    this.openByKey = new Map();
    for (const entry of this.open) if (entry.key !== undefined) this.openByKey.set(entry.key, entry);
    const running = this.run(batch, gated).finally(() => { this.inFlight.delete(running); });
    this.inFlight.add(running);
  }

  private async run(batch: Entry<Item, Result>[], gated: boolean): Promise<void> {
    let results: Result[];
    try {
      results = await this.options.send(batch.map((entry) => entry.item), { gated });
    } catch (error) {
      const failed = this.options.onError(error);
      results = batch.map(() => failed);
    }
    batch.forEach((entry, index) => {
      const result = results[index] ?? this.options.onError(new Error('batch returned too few results'));
      for (const resolve of entry.waiters) resolve(result);
    });
  }
}
