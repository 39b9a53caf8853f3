import { freeLocalPort, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from './connection.js';
import { QuotaUnavailableError, createRequestQuota, pacificDay, quotaKeys, type RequestQuotaOptions } from './request-quota.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

async function connection(url = testRedisUrl()): Promise<RedisConnection> {
  const redis = createRedisConnection(url, 'worker');
  redis.on('error', () => undefined);
  cleanups.push(() => { redis.disconnect(); });
  if (url === testRedisUrl()) await new Promise<void>((resolve) => { if (redis.status === 'ready') resolve(); else redis.once('ready', () => { resolve(); }); });
  return redis;
}

/** A fake clock and a sleep that counts refusals and yields briefly, so waiters ask again soon. */
function fakeTime(startMs: number) {
  const time = { nowMs: startMs, refusals: 0 };
  return {
    time,
    nowMs: () => time.nowMs,
    sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
      time.refusals += 1;
      const onAbort = () => { clearTimeout(timer); reject(new Error('aborted')); };
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, 2);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  };
}

// 2026-11-30 10:00 Pacific (18:00 UTC).
const START = Date.UTC(2026, 10, 30, 18, 0, 0);

describe('createRequestQuota', () => {
  it('grants exactly perMinute per window to three connections racing for 50 permits, and the waiters get theirs later', async () => {
    const prefix = freshPrefix();
    const clock = fakeTime(START);
    const waits: number[] = [];
    const options: RequestQuotaOptions = { prefix, name: 'race', perMinute: 20, perDay: 1000, nowMs: clock.nowMs, sleep: clock.sleep, onWait: (ms) => waits.push(ms) };
    const quotas = await Promise.all([0, 1, 2].map(async () => createRequestQuota(await connection(), options)));
    let granted = 0;
    const all = Array.from({ length: 50 }, (_, i) => quotas[i % 3]!.acquire().then(() => { granted += 1; }));

    // Every one of the 30 waiters was refused at least twice with the clock standing still.
    await expect.poll(() => clock.time.refusals, { timeout: 10_000 }).toBeGreaterThanOrEqual(60);
    expect(granted).toBe(20);
    expect(await quotas[0]!.usage()).toEqual({ minute: 20, day: 20 });

    clock.time.nowMs += 59_999; // still inside the window of the first grants
    const refusedBefore = clock.time.refusals;
    await expect.poll(() => clock.time.refusals, { timeout: 10_000 }).toBeGreaterThanOrEqual(refusedBefore + 60);
    expect(granted).toBe(20);

    clock.time.nowMs += 1;
    await expect.poll(() => granted, { timeout: 10_000 }).toBe(40);
    const refusedAt40 = clock.time.refusals;
    await expect.poll(() => clock.time.refusals, { timeout: 10_000 }).toBeGreaterThanOrEqual(refusedAt40 + 20);
    expect(granted).toBe(40);

    clock.time.nowMs += 60_000;
    await Promise.all(all);
    expect(granted).toBe(50);
    expect(await quotas[1]!.usage()).toEqual({ minute: 10, day: 50 });
    expect(waits).toHaveLength(30);
  });

  it('stops at the daily cap until the Pacific day ends, with TTLs on both keys', async () => {
    const prefix = freshPrefix();
    const clock = fakeTime(START);
    const redis = await connection();
    const quota = createRequestQuota(redis, { prefix, name: 'daily', perMinute: 20, perDay: 25, nowMs: clock.nowMs, sleep: clock.sleep });
    for (let i = 0; i < 20; i += 1) await quota.acquire();
    clock.time.nowMs += 60_000;
    for (let i = 0; i < 5; i += 1) await quota.acquire();

    const keys = quotaKeys(prefix, 'daily', '2026-11-30');
    const minuteTtl = await redis.pttl(keys.minute);
    const dayTtl = await redis.pttl(keys.day);
    expect(minuteTtl).toBeGreaterThan(0);
    expect(minuteTtl).toBeLessThanOrEqual(60_000);
    // The day ends at 2026-12-01 00:00 Pacific = 08:00 UTC, 14 h after START; plus one hour of grace.
    expect(dayTtl).toBeGreaterThan(14 * 3_600_000);
    expect(dayTtl).toBeLessThanOrEqual(15 * 3_600_000);

    clock.time.nowMs += 2 * 3_600_000; // the minute window is long free, the day is not
    let late = false;
    const pending = quota.acquire().then(() => { late = true; });
    const refused = clock.time.refusals;
    await expect.poll(() => clock.time.refusals, { timeout: 10_000 }).toBeGreaterThanOrEqual(refused + 5);
    expect(late).toBe(false);

    clock.time.nowMs = Date.UTC(2026, 11, 1, 8, 0, 0); // Pacific midnight
    await pending;
    expect(await quota.usage()).toEqual({ minute: 1, day: 1 });
    expect(await redis.exists(quotaKeys(prefix, 'daily', '2026-12-01').day)).toBe(1);
  });

  it('an acquire waiting for a permit can be aborted (shutdown)', async () => {
    const clock = fakeTime(START);
    const quota = createRequestQuota(await connection(), { prefix: freshPrefix(), name: 'abort', perMinute: 1, perDay: 10, nowMs: clock.nowMs, sleep: clock.sleep });
    await quota.acquire();
    const controller = new AbortController();
    const waiting = quota.acquire(controller.signal);
    await expect.poll(() => clock.time.refusals, { timeout: 10_000 }).toBeGreaterThan(0);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow(/shutting down|aborted/);
  });

  it('uses the Redis clock when no clock is injected', async () => {
    const quota = createRequestQuota(await connection(), { prefix: freshPrefix(), name: 'server-clock', perMinute: 5, perDay: 10 });
    for (let i = 0; i < 3; i += 1) await quota.acquire();
    expect(await quota.usage()).toEqual({ minute: 3, day: 3 });
  });

  it('rejects with QuotaUnavailableError (code quota_unavailable) when Redis is unreachable, never granting', async () => {
    const port = await freeLocalPort();
    const redis = await connection(`redis://127.0.0.1:${port}`);
    const quota = createRequestQuota(redis, { prefix: freshPrefix(), name: 'down', perMinute: 5, perDay: 10, commandTimeoutMs: 100 });
    const error = await quota.acquire().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(QuotaUnavailableError);
    expect(error).toMatchObject({ code: 'quota_unavailable', retryAfterMs: 1000 });
    await expect(quota.usage()).rejects.toBeInstanceOf(QuotaUnavailableError);
  });

  it('rejects when a ready connection stops answering, within the command timeout', async () => {
    const redis = await connection();
    const quota = createRequestQuota(redis, { prefix: freshPrefix(), name: 'slow', perMinute: 5, perDay: 10, commandTimeoutMs: 50 });
    // CLIENT PAUSE would stall the shared Redis for everyone; a connection stuck behind a blocking
    // command of its own stands in for a server that does not answer.
    void redis.blpop(`${freshPrefix()}:never`, 2).catch(() => undefined);
    await expect(quota.acquire()).rejects.toBeInstanceOf(QuotaUnavailableError);
  });
});

describe('pacificDay', () => {
  it('names the Pacific calendar day and the time to its end, on normal and DST days', () => {
    expect(pacificDay(START)).toEqual({ day: '2026-11-30', msUntilEnd: 14 * 3_600_000 });
    // 2026-03-08 is a 23-hour day in California (clocks go forward at 02:00).
    expect(pacificDay(Date.UTC(2026, 2, 8, 8, 30))).toEqual({ day: '2026-03-08', msUntilEnd: 22.5 * 3_600_000 });
    // 2026-11-01 is a 25-hour day (clocks go back at 02:00).
    expect(pacificDay(Date.UTC(2026, 10, 1, 7, 0))).toEqual({ day: '2026-11-01', msUntilEnd: 25 * 3_600_000 });
    expect(pacificDay(Date.UTC(2026, 11, 1, 7, 59, 59, 500))).toEqual({ day: '2026-11-30', msUntilEnd: 500 });
  });
});
