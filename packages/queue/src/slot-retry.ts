import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Redis Cluster answers a command it cannot run *right now* with an error that a retry a moment
 * later cures: `TRYAGAIN` (a multi-key script whose keys are split by a slot being migrated),
 * `ASK`/`MOVED` (the slot moved), `CLUSTERDOWN` (a failover in progress). ioredis retries these for
 * single commands, but not for a pipeline in which some writes already succeeded, because
 * repeating those could write twice. BullMQ's `addBulk` is such a pipeline. Our adds carry
 * deterministic job ids, so repeating a whole `addBulk` is safe: jobs already stored are
 * ignored by BullMQ. See docs/decisions.md#retrying-adds-during-slot-moves.
 */
const SLOT_MOVING = /^(TRYAGAIN|MOVED|ASK|CLUSTERDOWN|LOADING)\b|Too many Cluster redirections/;

/** True for the errors a Redis Cluster gives while a slot moves or a master fails over. */
export function isSlotMovingError(error: unknown): boolean {
  return error instanceof Error && SLOT_MOVING.test(error.message);
}

export interface SlotRetryOptions {
  /** Gives up once this unix ms has passed (the api's answer deadline). */
  deadlineMs: number;
  /** Pause between attempts, in ms (default 50). */
  delayMs?: number;
  /** Called once per retry, e.g. to count it. */
  onRetry?: () => void;
}

/**
 * Runs an idempotent Redis operation, repeating it while the cluster reports a moving slot and
 * the deadline allows. Any other error, or the deadline, ends it with the last error.
 */
export async function retryWhileSlotsMove<T>(operation: () => Promise<T>, options: SlotRetryOptions): Promise<T> {
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      const delayMs = options.delayMs ?? 50;
      if (!isSlotMovingError(error) || Date.now() + delayMs > options.deadlineMs) throw error;
      options.onRetry?.();
      await sleep(delayMs);
    }
  }
}
