import { describe, expect, it } from 'vitest';
import { BacklogSignal } from './backlog-signal.js';

function signalAt(start: number) {
  let now = start;
  const signal = new BacklogSignal({ graceMs: 20, nowMs: () => now });
  return { signal, advance: (ms: number) => { now += ms; return now; } };
}

describe('BacklogSignal', () => {
  it('starts as a backlog: a worker on a full queue prefetches before it reports anything', () => {
    const { signal } = signalAt(1000);
    expect(signal.backlog).toBe(true);
    expect(signal.dry).toBe(false);
  });

  it('is dry after a drained report; one job fetched after it is a trickle while its report can still come', () => {
    const { signal, advance } = signalAt(1000);
    signal.drained();
    expect(signal.dry).toBe(true);
    expect(signal.backlog).toBe(false);
    signal.fetched(advance(100));
    expect(signal.dry).toBe(false);
    advance(20);
    expect(signal.backlog).toBe(false);
  });

  it('is a backlog when no report followed that job within the grace (a worker prefetching a backlog)', () => {
    const { signal, advance } = signalAt(1000);
    signal.drained();
    signal.fetched(advance(100));
    advance(21);
    expect(signal.backlog).toBe(true);
    signal.drained();
    expect(signal.backlog).toBe(false);
  });

  it('is a backlog once a second job arrives before the queue runs dry again', () => {
    const { signal, advance } = signalAt(1000);
    signal.drained();
    signal.fetched(advance(5));
    signal.fetched(advance(1));
    expect(signal.backlog).toBe(true);
    signal.drained();
    expect(signal.backlog).toBe(false);
    expect(signal.dry).toBe(true);
  });

  it('does not count a job fetched before the report (its processor ran late), nor one in the same millisecond', () => {
    const { signal, advance } = signalAt(1000);
    const fetchedAt = advance(0);
    advance(3);
    signal.drained();
    signal.fetched(fetchedAt);
    expect(signal.dry).toBe(true);
    signal.fetched(advance(0));
    expect(signal.dry).toBe(true);
    signal.fetched(undefined);
    expect(signal.dry).toBe(true);
    advance(100);
    expect(signal.backlog).toBe(false);
  });
});
