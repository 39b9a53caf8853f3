import { describe, expect, it } from 'vitest';
import { isSlotMovingError, retryWhileSlotsMove } from './slot-retry.js';

/** What ioredis rejects with for an error reply: an Error whose message is the reply. */
class ReplyError extends Error {
  override readonly name = 'ReplyError';
}

describe('retrying while cluster slots move', () => {
  it('knows the errors of a moving slot or a failover from every other error', () => {
    for (const message of ['TRYAGAIN Multiple keys request during rehashing of slot', 'MOVED 3999 127.0.0.1:6381', 'ASK 3999 127.0.0.1:6381',
      'CLUSTERDOWN The cluster is down', 'Too many Cluster redirections. Last error: TRYAGAIN x']) {
      expect(isSlotMovingError(new ReplyError(message))).toBe(true);
    }
    for (const error of [new ReplyError('OOM command not allowed'), new Error('Connection is closed.'), 'TRYAGAIN']) {
      expect(isSlotMovingError(error)).toBe(false);
    }
  });

  it('repeats the operation until the slot settles', async () => {
    let calls = 0;
    const retried: number[] = [];
    const result = await retryWhileSlotsMove(() => {
      calls += 1;
      return calls < 3 ? Promise.reject(new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')) : Promise.resolve('stored');
    }, { deadlineMs: Date.now() + 60_000, delayMs: 1, onRetry: () => { retried.push(calls); } });
    expect(result).toBe('stored');
    expect(retried).toEqual([1, 2]);
  });

  it('gives up on any other error at once, and on a moving slot at the deadline', async () => {
    let calls = 0;
    const oom = new ReplyError('OOM command not allowed when used memory > maxmemory');
    await expect(retryWhileSlotsMove(() => { calls += 1; return Promise.reject(oom); }, { deadlineMs: Date.now() + 60_000 })).rejects.toBe(oom);
    expect(calls).toBe(1);
    const moving = new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot');
    await expect(retryWhileSlotsMove(() => Promise.reject(moving), { deadlineMs: Date.now() - 1 })).rejects.toBe(moving);
  });
});
