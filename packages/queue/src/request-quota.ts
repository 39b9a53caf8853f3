import { randomBytes } from 'node:crypto';
import type { RedisConnection } from './connection.js';

/**
 * A request quota shared by every worker process through Redis (docs/architecture.md#request-quota,
 * docs/decisions.md#request-quota-limiter). Google counts requests per Cloud project: 300 a minute
 * and 100,000 a day per service and operation (docs/platforms.md#dm-limits), however many
 * processes and queue shards send them. One Lua script takes a permit from two windows at once:
 *
 * - **minute**: a sliding-window log (sorted set of grant times), so no 60-second span — and
 *   therefore no fixed clock minute either — ever holds more than `perMinute` grants;
 * - **day**: a counter per Pacific-time calendar day, the day Google's daily quotas reset on.
 *
 * Under pressure `acquire()` waits (until the oldest grant leaves the window, or until the next
 * Pacific midnight) and never fails; it rejects only when aborted or when Redis cannot answer, so
 * a caller never sends without a permit.
 */

export interface RequestPermits {
  /** Resolves once a permit was taken; waits while the quota is used up. Rejects on abort or Redis trouble. */
  acquire(signal?: AbortSignal): Promise<void>;
}

export interface RequestQuota extends RequestPermits {
  /** Permits granted in the last 60 s and in the current Pacific day, for the quota gauge. */
  usage(): Promise<{ minute: number; day: number }>;
}

export interface RequestQuotaOptions {
  /** Key prefix, `{capconnect}` in production: the braces keep every key in one Redis Cluster slot. */
  prefix: string;
  /** Quota name, e.g. `google-ingest` (writes) or `google-read`; part of the key. */
  name: string;
  perMinute: number;
  perDay: number;
  /** Clock for tests. Default: the Redis server's clock (`TIME`), the one clock all workers share. */
  nowMs?: () => number;
  /** Called after a permit that had to wait, with the wait in ms (histogram `capconnect_provider_quota_wait_seconds`). */
  onWait?: (waitedMs: number) => void;
  /** How a refused acquire waits before it asks again. Default: a timer, abortable. Tests inject their own. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Longest single wait before asking again, in ms (default 1000), so a freed permit is seen soon. */
  maxSleepMs?: number;
  /** A Redis answer (or a reconnect) slower than this rejects the acquire, in ms (default 2000). */
  commandTimeoutMs?: number;
}

/**
 * Thrown by `acquire()` when Redis is unreachable or too slow. Shaped like the providers'
 * `TransientError` (`code`, `retryAfterMs`), and turned into one by the worker, so the batch is
 * retried with backoff rather than sent without a permit (docs/decisions.md#request-quota-when-redis-is-down).
 */
export class QuotaUnavailableError extends Error {
  override readonly name = 'QuotaUnavailableError';
  readonly code = 'quota_unavailable';
  readonly retryAfterMs = 1000;

  constructor(readonly quota: string) {
    super(`request quota ${quota} unavailable: Redis did not answer`);
  }
}

const MINUTE_MS = 60_000;
/** Day counters outlive their day by this much, so a late reader still finds them. */
const DAY_KEY_GRACE_MS = 3_600_000;
const PACIFIC = 'America/Los_Angeles';

// KEYS: minute log, day counter. ARGV: now (ms, or -1 for Redis TIME), window ms, perMinute,
// perDay, member, day-key TTL ms, ms until the day ends (-1: derive from day-key TTL).
// Returns {granted 0|1, wait ms, minute used, day used}.
const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
local perMinute = tonumber(ARGV[3])
local perDay = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if day >= perDay then
  return {0, tonumber(ARGV[7]), used, day}
end
if used >= perMinute then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = tonumber(oldest[2]) + window - now
  if wait < 1 then wait = 1 end
  return {0, wait, used, day}
end
redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[6]))
return {1, 0, used + 1, day + 1}
`;

const USAGE_SCRIPT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local used = redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[2])), '+inf')
return {used, tonumber(redis.call('GET', KEYS[2]) or '0')}
`;

const pacificParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: PACIFIC, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** The Pacific calendar day of `nowMs` (`2026-11-30`) and the ms left until it ends (DST-aware). */
export function pacificDay(nowMs: number): { day: string; msUntilEnd: number } {
  const parts = Object.fromEntries(pacificParts.formatToParts(new Date(nowMs)).map((part) => [part.type, part.value]));
  const day = `${parts['year']}-${parts['month']}-${parts['day']}`;
  const elapsedMs = ((Number(parts['hour']) * 60 + Number(parts['minute'])) * 60 + Number(parts['second'])) * 1000 + (nowMs % 1000);
  // 24 h from the day's start, corrected when a DST change falls in between (23 h or 25 h days).
  let msUntilEnd = 86_400_000 - elapsedMs;
  const next = pacificParts.formatToParts(new Date(nowMs + msUntilEnd));
  const nextHour = Number(next.find((part) => part.type === 'hour')?.value);
  if (nextHour === 23) msUntilEnd += 3_600_000;
  else if (nextHour === 1) msUntilEnd -= 3_600_000;
  return { day, msUntilEnd };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(abortError(signal)); return; }
    const onAbort = () => { clearTimeout(timer); reject(abortError(signal as AbortSignal)); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for a (re)connecting client, but no longer than a command may take. */
function readyWithin(redis: RedisConnection, timeoutMs: number, quota: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReady = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(() => { redis.off('ready', onReady); reject(new QuotaUnavailableError(quota)); }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** Keys of one quota: `<prefix>:quota:<name>:minute` and `<prefix>:quota:<name>:day:<YYYY-MM-DD>`. */
export function quotaKeys(prefix: string, name: string, day: string): { minute: string; day: string } {
  return { minute: `${prefix}:quota:${name}:minute`, day: `${prefix}:quota:${name}:day:${day}` };
}

export function createRequestQuota(redis: RedisConnection, options: RequestQuotaOptions): RequestQuota {
  if (!(options.perMinute >= 1) || !(options.perDay >= 1)) throw new RangeError('perMinute and perDay must be at least 1');
  const sleep = options.sleep ?? timerSleep;
  const maxSleepMs = options.maxSleepMs ?? 1000;
  const timeoutMs = options.commandTimeoutMs ?? 2000;
  const clientId = randomBytes(6).toString('hex');
  let sequence = 0;

  /** One script call, failing fast instead of queueing while the connection is down. */
  async function call(script: string, keys: string[], args: (string | number)[]): Promise<number[]> {
    if (redis.status !== 'ready') await readyWithin(redis, timeoutMs, options.name);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => { reject(new QuotaUnavailableError(options.name)); }, timeoutMs); });
    try {
      const reply = await Promise.race([redis.eval(script, keys.length, ...keys, ...args), timeout]);
      return (reply as unknown[]).map(Number);
    } catch (error) {
      throw error instanceof QuotaUnavailableError ? error : new QuotaUnavailableError(options.name);
    } finally {
      clearTimeout(timer);
    }
  }

  const clock = () => {
    const nowMs = options.nowMs?.() ?? Date.now();
    return { nowArg: options.nowMs === undefined ? -1 : nowMs, ...pacificDay(nowMs) };
  };

  return {
    async acquire(signal) {
      let waitedMs = 0;
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        const { nowArg, day, msUntilEnd } = clock();
        const keys = quotaKeys(options.prefix, options.name, day);
        sequence += 1;
        const [granted, waitMs] = await call(ACQUIRE_SCRIPT, [keys.minute, keys.day], [
          nowArg, MINUTE_MS, options.perMinute, options.perDay, `${clientId}:${sequence}`, msUntilEnd + DAY_KEY_GRACE_MS, msUntilEnd,
        ]);
        if (granted === 1) {
          if (waitedMs > 0) options.onWait?.(waitedMs);
          return;
        }
        const sleepMs = Math.max(1, Math.min(waitMs ?? maxSleepMs, maxSleepMs));
        await sleep(sleepMs, signal);
        waitedMs += sleepMs;
      }
    },
    async usage() {
      const { nowArg, day } = clock();
      const keys = quotaKeys(options.prefix, options.name, day);
      const [minute = 0, dayUsed = 0] = await call(USAGE_SCRIPT, [keys.minute, keys.day], [nowArg, MINUTE_MS]);
      return { minute, day: dayUsed };
    },
  };
}
