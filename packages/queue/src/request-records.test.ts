import { CANARIES, CANARY_SEARCH, dumpRedis, findCanaries, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from './connection.js';
import { RECORD_TTL_MS, createRequestRecords, eventDigest, type RequestRecordInput } from './request-records.js';

const cleanups: (() => void)[] = [];
afterEach(() => { for (const cleanup of cleanups.splice(0)) cleanup(); });

function connection(): RedisConnection {
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  redis.on('error', () => undefined);
  cleanups.push(() => { redis.disconnect(); });
  return redis;
}

const SENT = 1_764_500_000_000;
const DELAY = 1_800_000;
const input = (overrides: Partial<RequestRecordInput> = {}): RequestRecordInput => ({
  requestId: 'req-1', provider: 'google', eventIds: ['ev-1', 'ev-2'], sentAtMs: SENT, validateOnly: false,
  warnings: { WARNING_REASON_INVALID_NUMBER_FORMAT: 1 }, ...overrides,
});

describe('request records', () => {
  it('saves a record found by each of its events, pending until completed, then final with the verdict', async () => {
    const prefix = freshPrefix();
    const records = createRequestRecords(connection(), { prefix, firstPollDelayMs: DELAY });
    await records.save(input());
    expect(await records.forEvent('ev-3')).toBeUndefined();
    expect(await records.forEvent('ev-2')).toEqual({
      provider: 'google', requestId: 'req-1', sentAt: SENT, eventCount: 2, state: 'pending', attempts: 0,
      warnings: { WARNING_REASON_INVALID_NUMBER_FORMAT: 1 },
    });

    expect(await records.claimDue(SENT + DELAY - 1, 10)).toEqual([]);
    expect(await records.claimDue(SENT + DELAY, 10)).toEqual(['req-1']);
    await records.reschedule('req-1', SENT + 3 * DELAY, SENT + DELAY);
    expect(await records.forEvent('ev-1')).toMatchObject({ state: 'pending', requestStatus: 'PROCESSING', checkedAt: SENT + DELAY, attempts: 1 });

    const destinations = [
      { conversionActionId: '987654321', requestStatus: 'PARTIAL_SUCCESS', errorCounts: { PROCESSING_ERROR_REASON_DUPLICATE_GCLID: 1 }, warningCounts: {}, recordCount: 2 },
      { conversionActionId: '987654322', requestStatus: 'SUCCESS', errorCounts: { 'weird reason, with text': 3 }, warningCounts: {}, recordCount: 3 },
    ];
    expect(await records.complete('req-1', { destinations }, SENT + 4 * DELAY)).toBe(true);
    expect(await records.forEvent('ev-1')).toMatchObject({
      state: 'final', requestStatus: 'PARTIAL_SUCCESS', checkedAt: SENT + 4 * DELAY,
      destinations: [destinations[0], { ...destinations[1], errorCounts: { other: 3 } }],
    });
    expect(await records.claimDue(SENT + 100 * DELAY, 10)).toEqual([]);
  });

  it('never lets two pollers claim the same record; a claim returns after its lease', async () => {
    const prefix = freshPrefix();
    const options = { prefix, firstPollDelayMs: 0, claimLeaseMs: 60_000 };
    const [a, b] = [createRequestRecords(connection(), options), createRequestRecords(connection(), options)];
    const ids = Array.from({ length: 40 }, (_, i) => `req-${i}`);
    for (const requestId of ids) await a.save(input({ requestId, eventIds: [`e-${requestId}`] }));

    // Both pollers race, round after round, over the same due records until none is left.
    const all: string[] = [];
    for (;;) {
      const round = (await Promise.all([a.claimDue(SENT, 15), b.claimDue(SENT, 15), a.claimDue(SENT, 15), b.claimDue(SENT, 15)])).flat();
      if (round.length === 0) break;
      all.push(...round);
    }
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...ids].sort());

    expect(await a.claimDue(SENT + 59_999, 100)).toEqual([]);
    expect(await b.claimDue(SENT + 60_000, 100)).toHaveLength(40);
    expect(await a.get('req-0')).toMatchObject({ attempts: 2, sentAtMs: SENT, eventCount: 1 });
  });

  it('keeps records and the event index for at least 48 h, and never recreates an expired record', async () => {
    const prefix = freshPrefix();
    const redis = connection();
    const records = createRequestRecords(redis, { prefix, firstPollDelayMs: DELAY });
    await records.save(input());
    for (const key of [`${prefix}:dmdiag:req:req-1`, `${prefix}:dmdiag:ev:${eventDigest('ev-1')}`, `${prefix}:dmdiag:due`]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(48 * 3_600_000);
      expect(ttl, key).toBeLessThanOrEqual(RECORD_TTL_MS);
    }
    await redis.del(`${prefix}:dmdiag:req:req-1`); // as if it had expired
    expect(await records.complete('req-1', { unresolved: 'TIMED_OUT' })).toBe(false);
    await records.reschedule('req-1', SENT, SENT);
    expect(await redis.exists(`${prefix}:dmdiag:req:req-1`)).toBe(0);
    expect(await redis.zscore(`${prefix}:dmdiag:due`, 'req-1')).toBeNull();
    expect(await records.forEvent('ev-1')).toBeUndefined();
  });

  it('does not schedule validateOnly requests and reports them as such', async () => {
    const records = createRequestRecords(connection(), { prefix: freshPrefix(), firstPollDelayMs: 0 });
    await records.save(input({ validateOnly: true }));
    expect(await records.claimDue(SENT + DELAY, 10)).toEqual([]);
    expect(await records.forEvent('ev-1')).toMatchObject({ state: 'validate_only' });
  });

  it('refuses a request id that is not one, and writes no personal data even when an event id is one', async () => {
    const prefix = freshPrefix();
    const records = createRequestRecords(connection(), { prefix, firstPollDelayMs: 0 });
    await expect(records.save(input({ requestId: `${CANARIES.email} x` }))).rejects.toThrow(RangeError);
    // The contract refuses emails as ids but not every other identifier; digests keep them out anyway.
    const eventIds = [CANARIES.phoneE164, CANARIES.externalId, CANARIES.gclid];
    await records.save(input({ requestId: 'req-canary', eventIds }));
    await records.complete('req-canary', { unresolved: 'INVALID_REQUEST_ID' });
    expect(await records.forEvent(CANARIES.phoneE164)).toMatchObject({ state: 'unresolved', unresolvedReason: 'INVALID_REQUEST_ID', eventCount: 3 });
    const dump = await dumpRedis(testRedisUrl(), `${prefix}*`);
    expect(dump.size).toBe(4); // the record and three index keys (the emptied due set is gone)
    const text = [...dump].map(([key, value]) => `${key}\n${value}`).join('\n');
    expect(findCanaries(text, CANARY_SEARCH)).toEqual([]);
  });
});
