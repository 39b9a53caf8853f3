import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };
  it.each([
    [1, 0.5, 500], [2, 0.5, 1000], [3, 0.999, 3996], [10, 0.5, 30_000], [60, 0.5, 30_000],
  ])('after %i attempts with random %f waits %i ms (full jitter, capped)', (attempts, random, expected) => {
    expect(backoffDelayMs(attempts, policy, undefined, () => random)).toBe(expected);
  });
  it('never returns 0, which BullMQ reads as "retry immediately"', () => {
    expect(backoffDelayMs(1, policy, undefined, () => 0)).toBe(1);
  });
  it('honours a longer Retry-After, even above the cap', () => {
    expect(backoffDelayMs(1, policy, 120_000, () => 0.5)).toBe(120_000);
    expect(backoffDelayMs(5, policy, 10, () => 0.5)).toBe(8000);
  });
});
