/**
 * Whether one BullMQ worker's queue is draining a backlog, from what the worker sees: its `drained`
 * reports and the jobs it fetches (docs/decisions.md#backlog-batching-beyond-the-linger).
 *
 * BullMQ reports `drained` on the empty fetch that follows a job, and the job's processor may run
 * before or after that report. A job counts as fetched after the report when its `processedOn`
 * (stamped with the fetching worker's clock) is later than the report. At trickle rate a worker
 * fetches one job between two reports; only a queue that hands over a second job before running dry
 * again holds a backlog. (One job was not enough evidence: a linger that ended between a job's fetch
 * and the report that follows it was held one more linger.)
 */
export class BacklogSignal {
  /** Jobs fetched without running dry that make a backlog. */
  static readonly EVIDENCE = 2;

  /** Jobs fetched since the last `drained` report. A worker starting on a full queue prefetches before it reports anything, so it starts as a backlog. */
  private fetchedSinceDrained = BacklogSignal.EVIDENCE;
  private drainedAtMs = 0;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** BullMQ's `drained`: the queue had nothing more to hand over. */
  drained(): void {
    this.fetchedSinceDrained = 0;
    this.drainedAtMs = this.nowMs();
  }

  /** A job reached the processor; `fetchedAtMs` is its `processedOn`. */
  fetched(fetchedAtMs: number | undefined): void {
    // Same millisecond as the report: it could be either side, and assuming before only costs batch size.
    if (fetchedAtMs !== undefined && fetchedAtMs > this.drainedAtMs) this.fetchedSinceDrained += 1;
  }

  /** Nothing fetched since the queue last ran dry. */
  get dry(): boolean {
    return this.fetchedSinceDrained === 0;
  }

  /** The queue handed over more than one job without running dry. */
  get backlog(): boolean {
    return this.fetchedSinceDrained >= BacklogSignal.EVIDENCE;
  }
}
