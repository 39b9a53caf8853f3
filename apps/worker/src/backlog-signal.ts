/**
 * Whether one BullMQ worker's queue is draining a backlog, from what the worker sees: its `drained`
 * reports and the jobs it fetches (docs/decisions.md#backlog-batching-beyond-the-linger).
 *
 * BullMQ reports `drained` on the empty fetch that follows a job, and the job's processor may run
 * before or after that report. A job counts as fetched after the report when its `processedOn`
 * (stamped with the fetching worker's clock) is later than the report.
 *
 * At trickle rate a worker fetches one job between two reports, and the report follows the job within
 * a Redis round trip. So the queue holds a backlog when a second job arrived before it ran dry again,
 * or when one job arrived and no report followed it within `graceMs` (a worker meeting a backlog
 * prefetches up to its concurrency, one round trip per job, before most processors run). A linger
 * that ends between a trickle job's fetch and the report that follows it is therefore not extended.
 */
export class BacklogSignal {
  /** Jobs fetched since the last `drained` report; a worker starting on a full queue prefetches before it reports anything. */
  private fetchedSinceDrained = 2;
  private drainedAtMs = 0;
  /** When the processor saw the last job counted. */
  private seenAtMs = 0;
  private readonly graceMs: number;
  private readonly nowMs: () => number;

  /**
   * @param options.graceMs How long a `drained` report may take to follow a job, in ms.
   * @param options.nowMs The clock BullMQ stamps `processedOn` with. @defaultValue Date.now
   */
  constructor(options: { graceMs: number; nowMs?: () => number }) {
    this.graceMs = options.graceMs;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** BullMQ's `drained`: the queue had nothing more to hand over. */
  drained(): void {
    this.fetchedSinceDrained = 0;
    this.drainedAtMs = this.nowMs();
  }

  /** A job reached the processor; `fetchedAtMs` is its `processedOn`. */
  fetched(fetchedAtMs: number | undefined): void {
    // Same millisecond as the report: it could be either side, and assuming before only costs batch size.
    if (fetchedAtMs === undefined || fetchedAtMs <= this.drainedAtMs) return;
    this.fetchedSinceDrained += 1;
    this.seenAtMs = this.nowMs();
  }

  /** Nothing fetched since the queue last ran dry. */
  get dry(): boolean {
    return this.fetchedSinceDrained === 0;
  }

  /** More than one job without running dry, or one whose `drained` report is overdue. */
  get backlog(): boolean {
    if (this.fetchedSinceDrained >= 2) return true;
    return this.fetchedSinceDrained === 1 && this.nowMs() - this.seenAtMs > this.graceMs;
  }
}
