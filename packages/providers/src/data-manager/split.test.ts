import { describe, expect, it } from 'vitest';
import { buildDataManagerEvent } from './build.js';
import { dmInput } from '../test/data-manager-fixtures.js';
import { eventBytes, planIngestRequests } from './split.js';

const built = (count: number, action = (_i: number) => '987654321') => Array.from({ length: count }, (_, i) => buildDataManagerEvent(dmInput({ transactionId: `t${String(i).padStart(5, "0")}`, conversionActionId: action(i) })));

describe('planIngestRequests', () => {
  it('keeps order and stays under the event count', () => {
    const plan = planIngestRequests(built(4500), { maxEvents: 2000 });
    expect(plan.requests.map((r) => r.length)).toEqual([2000, 2000, 500]);
    expect(plan.requests.flat()).toEqual([...Array(4500).keys()]);
  });
  it('never goes over 2,000 even when asked to', () => {
    expect(planIngestRequests(built(2001), { maxEvents: 5000 }).requests.map((r) => r.length)).toEqual([2000, 1]);
  });
  it('stays under the byte budget', () => {
    const events = built(100);
    const size = eventBytes(events[0]!);
    const plan = planIngestRequests(events, { maxBytes: 128 + 256 + size * 10 });
    expect(plan.requests.every((r) => r.length === 10)).toBe(true);
  });
  it('opens a new request past 10 conversion actions', () => {
    const plan = planIngestRequests(built(12, (i) => String(1000 + i)));
    expect(plan.requests.map((r) => r.length)).toEqual([10, 2]);
  });
  it('sets aside an event too large to be sent at all', () => {
    const plan = planIngestRequests(built(3), { maxBytes: 300 });
    expect(plan).toEqual({ requests: [], oversized: [0, 1, 2] });
  });
});
