/**
 * Retry delays for transient provider errors (docs/architecture.md#retries-and-backoff): exponential backoff with full jitter
 * (AWS Architecture Blog, "Exponential Backoff And Jitter": sleep = random(0, min(cap, base·2^n))),
 * never shorter than what the provider asked for (`Retry-After`, Google `retryDelay`).
 */

export interface BackoffPolicy {
  /** Base of the exponential backoff, in ms. */
  baseDelayMs: number;
  /** Cap of one delay, in ms (a provider's own `retryAfterMs` may exceed it). */
  maxDelayMs: number;
}

/**
 * Delay before the next attempt, in ms. `attemptsMade` counts attempts already made (≥ 1 when a
 * retry is being scheduled). `retryAfterMs` is the provider's explicit wish and always wins over a
 * shorter jittered delay. `random` is injectable for tests.
 */
export function backoffDelayMs(
  attemptsMade: number,
  policy: BackoffPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attemptsMade - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
  const jittered = Math.floor(random() * ceiling);
  // Full jitter can pick 0; BullMQ treats 0 as "retry now" which would hammer a struggling API.
  const delay = Math.max(1, jittered);
  return retryAfterMs !== undefined && retryAfterMs > delay ? retryAfterMs : delay;
}
