import { createHash } from 'node:crypto';
import type { RedisConnection } from './connection.js';
import { shardOfEventHash, shardPrefixes } from './shards.js';

/**
 * Request records for Google's asynchronous diagnostics (docs/architecture.md#request-diagnostics).
 * Google reports what happened to an accepted Data Manager request only later, through
 * `requestStatus:retrieve` (docs/platforms.md#dm-diagnostics). A record keeps the request id, its
 * size, its synchronous warnings and, once known, Google's verdict, for `RECORD_TTL_MS` (50 h:
 * "at least 48 h"), whatever the completed-job retention is. Keys:
 *
 * - `<prefix>:dmdiag:req:<requestId>` hash — the record (short field names, counts only);
 * - `<shard prefix>:dmdiag:ev:<digest>` string → request id — one per event, so a status lookup
 *   finds the record. It lives under the hash tag of the event's queue shard (with one shard, the
 *   base prefix), so on Redis Cluster these per-event keys spread over the masters with the jobs
 *   instead of piling up on one. The key holds a SHA-256 digest of the event id, never the id
 *   itself: the contract refuses emails in ids but not every identifier an advertiser might misuse as one;
 * - `<prefix>:dmdiag:due` sorted set — request id by the time it is next polled. Claiming moves a
 *   member a lease ahead atomically, so exactly one poller works on a record at a time, and a
 *   crashed poller's claim comes back after the lease.
 *
 * Nothing personal is stored: request ids are Google's, counts and enum names are Google's,
 * event ids only as digests.
 */

export const RECORD_TTL_MS = 50 * 3_600_000;
/** How long a claim keeps other pollers off a record (they see it again afterwards). */
export const DEFAULT_CLAIM_LEASE_MS = 5 * 60_000;

export interface RequestRecordInput {
  requestId: string;
  provider: 'google';
  /** CapConnect event ids of the events the request carried. */
  eventIds: string[];
  sentAtMs: number;
  /** `validateOnly` requests are never polled: Google keeps no status for them. */
  validateOnly: boolean;
  /** `fieldWarnings` of the ingest answer, counted per reason. */
  warnings: Record<string, number>;
}

/** Google's verdict for one destination (conversion action) of a request. */
export interface DestinationVerdict {
  conversionActionId?: string | undefined;
  /** `SUCCESS`, `PARTIAL_SUCCESS`, `FAILED`, `PROCESSING`, `REQUEST_STATUS_UNKNOWN`. */
  requestStatus: string;
  /** Failed records per `PROCESSING_ERROR_REASON_…`. */
  errorCounts: Record<string, number>;
  /** Records with a warning per `PROCESSING_WARNING_REASON_…`. */
  warningCounts: Record<string, number>;
  recordCount?: number | undefined;
}

/** What `complete` records: Google's final answer, or why there will be none. */
export type RequestResult =
  | { destinations: DestinationVerdict[] }
  | { unresolved: 'INVALID_REQUEST_ID' | 'TIMED_OUT' };

/** The diagnostics an event status shows for the request that carried the event. */
export interface RequestDiagnostics {
  provider: 'google';
  requestId: string;
  sentAt: number;
  eventCount: number;
  /**
   * - `pending`: not final yet (Google answered PROCESSING, or was not asked yet);
   * - `final`: Google's verdict is in `requestStatus` and `destinations`;
   * - `unresolved`: no verdict will come (`unresolvedReason`);
   * - `validate_only`: a validateOnly request, which Google does not keep.
   */
  state: 'pending' | 'final' | 'unresolved' | 'validate_only';
  /** Overall verdict over the destinations: SUCCESS, PARTIAL_SUCCESS, FAILED, or PROCESSING while pending. */
  requestStatus?: string;
  destinations?: DestinationVerdict[];
  /** Synchronous `fieldWarnings` per reason. */
  warnings: Record<string, number>;
  unresolvedReason?: 'INVALID_REQUEST_ID' | 'TIMED_OUT';
  /** Unix ms of the last `requestStatus:retrieve`. */
  checkedAt?: number;
  /** Polls made so far. */
  attempts: number;
}

/** What a poller needs to know about a claimed record. */
export interface RequestRecordInfo {
  requestId: string;
  provider: 'google';
  sentAtMs: number;
  eventCount: number;
  attempts: number;
}

export interface RequestRecords {
  /** Stores the record and its event index; schedules the first poll at `sentAtMs + firstPollDelayMs`. */
  save(record: RequestRecordInput): Promise<void>;
  /** The diagnostics of the request that carried `eventId`, if it was recorded in the last 50 h. */
  forEvent(eventId: string): Promise<RequestDiagnostics | undefined>;
  /** Request ids due at `nowMs`, each claimed for this caller alone (for the lease). */
  claimDue(nowMs: number, limit: number): Promise<string[]>;
  get(requestId: string): Promise<RequestRecordInfo | undefined>;
  /** Records the final result (or why none will come) and stops polling. False when the record is gone. */
  complete(requestId: string, result: RequestResult, nowMs?: number): Promise<boolean>;
  /** Polls again at `atMs`; `checkedAtMs` records that Google still said PROCESSING. */
  reschedule(requestId: string, atMs: number, checkedAtMs?: number): Promise<void>;
}

export interface RequestRecordsOptions {
  /** Key prefix of the records and the due set, `{capconnect}` in production. */
  prefix: string;
  /**
   * Queue shards (`QUEUE_SHARDS`): an event's index key goes under its event's shard prefix, the
   * one its jobs are routed to. Default 1 (the base prefix).
   */
  shards?: number | undefined;
  /**
   * Shard prefixes of an earlier `QUEUE_SHARDS` still found in Redis (`ShardQueues.olderShards()`).
   * When there are any, an event sent before the count changed has its index key in the shard the old
   * count gave it: one of these, or a current shard whose tag the old count computed too. Lookups then
   * try the other current shards and these after the event's own. Default none.
   */
  olderEventPrefixes?: readonly string[] | undefined;
  /** First poll this long after sending (`GOOGLE_DIAGNOSTICS_DELAY_S`; Google advises 30 min). */
  firstPollDelayMs: number;
  claimLeaseMs?: number;
  /** Record lifetime, default RECORD_TTL_MS. */
  ttlMs?: number;
}

/** Reason names are Google enum names; anything else (or too long) is stored as `other`. */
const REASON = /^[A-Z][A-Z0-9_]{0,119}$/;
const STATUS = /^[A-Z_]{1,40}$/;

function boundedCounts(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, count] of Object.entries(counts)) {
    if (!Number.isSafeInteger(count) || count < 0) continue;
    const key = REASON.test(reason) ? reason : 'other';
    out[key] = (out[key] ?? 0) + count;
  }
  return out;
}

function boundedVerdict(verdict: DestinationVerdict): DestinationVerdict {
  return {
    ...(verdict.conversionActionId !== undefined && /^\d{1,20}$/.test(verdict.conversionActionId) && { conversionActionId: verdict.conversionActionId }),
    requestStatus: STATUS.test(verdict.requestStatus) ? verdict.requestStatus : 'REQUEST_STATUS_UNKNOWN',
    errorCounts: boundedCounts(verdict.errorCounts),
    warningCounts: boundedCounts(verdict.warningCounts),
    ...(verdict.recordCount !== undefined && Number.isSafeInteger(verdict.recordCount) && { recordCount: verdict.recordCount }),
  };
}

/** The request's verdict over all destinations. */
export function overallStatus(destinations: readonly DestinationVerdict[]): string {
  const statuses = new Set(destinations.map((destination) => destination.requestStatus));
  if (statuses.size === 1) return [...statuses][0] as string;
  if (statuses.has('PROCESSING')) return 'PROCESSING';
  return statuses.has('SUCCESS') || statuses.has('PARTIAL_SUCCESS') ? 'PARTIAL_SUCCESS' : 'FAILED';
}

/** The digest an event id is indexed under: 128 bits of SHA-256, base64url. */
export function eventDigest(eventId: string): string {
  return digestText(createHash('sha256').update(eventId).digest());
}

function digestText(sha256: Buffer): string {
  return sha256.toString('base64url').slice(0, 22);
}

const VALID_REQUEST_ID = /^[\w.:-]{1,200}$/;

// KEYS: record. ARGV: fields to set as pairs. Only touches a record that still exists, so an
// expired record is never recreated without a TTL.
const UPDATE_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

// KEYS: due set, record. ARGV: now, lease ms, request id. Claims when still due and the record lives.
const CLAIM = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not score or tonumber(score) > tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[3])
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
redis.call('HINCRBY', KEYS[2], 'a', 1)
return 1
`;

/** Runs a transaction and throws its first failed command's error. */
async function execAll(multi: ReturnType<RedisConnection['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error !== null);
  if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('request record not saved');
}

export function createRequestRecords(redis: RedisConnection, options: RequestRecordsOptions): RequestRecords {
  const ttlMs = options.ttlMs ?? RECORD_TTL_MS;
  const leaseMs = options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  const dueKey = `${options.prefix}:dmdiag:due`;
  const recordKey = (requestId: string) => `${options.prefix}:dmdiag:req:${requestId}`;
  const shards = options.shards ?? 1;
  const eventPrefixes = shardPrefixes(shards, options.prefix);
  const olderPrefixes = options.olderEventPrefixes ?? [];
  /** Where an event's index key lives: its shard prefix and digest, from one SHA-256 of the id. */
  const indexOf = (eventId: string): { shardPrefix: string; digest: string } => {
    const sha256 = createHash('sha256').update(eventId, 'utf8').digest();
    return { shardPrefix: eventPrefixes[shards === 1 ? 0 : shardOfEventHash(sha256, shards)] ?? options.prefix, digest: digestText(sha256) };
  };
  const indexKey = (keyPrefix: string, digest: string) => `${keyPrefix}:dmdiag:ev:${digest}`;

  async function read(requestId: string): Promise<Record<string, string> | undefined> {
    const fields = await redis.hgetall(recordKey(requestId));
    return fields['s'] === undefined ? undefined : fields;
  }

  return {
    async save(record) {
      if (!VALID_REQUEST_ID.test(record.requestId)) throw new RangeError('requestId: not a provider request id');
      const key = recordKey(record.requestId);
      const multi = redis.multi()
        .hset(key, {
          p: record.provider, n: record.eventIds.length, s: record.sentAtMs, a: 0,
          w: JSON.stringify(boundedCounts(record.warnings)), ...(record.validateOnly && { v: 1 }),
        })
        .pexpire(key, ttlMs);
      if (!record.validateOnly) {
        multi.zadd(dueKey, record.sentAtMs + options.firstPollDelayMs, record.requestId);
        // The due set is refreshed by every save; if every worker stops, it expires with the records.
        multi.pexpire(dueKey, ttlMs);
      }
      // Index keys of the base prefix's slot ride in the record's transaction (with one shard, all
      // of them: one round trip, as before shards); each other shard's keys in one transaction of
      // their own, as Redis Cluster runs a transaction on one slot only. The record goes first: an
      // index key never points to a record that was not written.
      const shardMultis = new Map<string, typeof multi>([[options.prefix, multi]]);
      for (const eventId of record.eventIds) {
        const { shardPrefix, digest } = indexOf(eventId);
        let target = shardMultis.get(shardPrefix);
        if (target === undefined) shardMultis.set(shardPrefix, target = redis.multi());
        target.set(indexKey(shardPrefix, digest), record.requestId, 'PX', ttlMs);
      }
      await execAll(multi);
      await Promise.all([...shardMultis.values()].filter((shardMulti) => shardMulti !== multi).map(execAll));
    },

    async forEvent(eventId) {
      const { shardPrefix, digest } = indexOf(eventId);
      let requestId = await redis.get(indexKey(shardPrefix, digest));
      // Sent before QUEUE_SHARDS changed (see olderEventPrefixes): only looked for while older shards exist.
      const elsewhere = olderPrefixes.length === 0 ? [] : [...eventPrefixes.filter((prefix) => prefix !== shardPrefix), ...olderPrefixes];
      for (const keyPrefix of elsewhere) {
        if (requestId !== null) break;
        requestId = await redis.get(indexKey(keyPrefix, digest));
      }
      if (requestId === null) return undefined;
      const fields = await read(requestId);
      if (fields === undefined) return undefined;
      const result = fields['r'] === undefined ? undefined : JSON.parse(fields['r']) as RequestResult;
      const checkedAt = fields['c'] === undefined ? undefined : Number(fields['c']);
      const base = {
        provider: 'google' as const, requestId, sentAt: Number(fields['s']), eventCount: Number(fields['n']),
        warnings: JSON.parse(fields['w'] ?? '{}') as Record<string, number>, attempts: Number(fields['a'] ?? 0),
        ...(checkedAt !== undefined && { checkedAt }),
      };
      if (fields['v'] !== undefined) return { ...base, state: 'validate_only' };
      if (result === undefined) return { ...base, state: 'pending', ...(checkedAt !== undefined && { requestStatus: 'PROCESSING' }) };
      if ('unresolved' in result) return { ...base, state: 'unresolved', unresolvedReason: result.unresolved };
      return { ...base, state: 'final', requestStatus: overallStatus(result.destinations), destinations: result.destinations };
    },

    async claimDue(nowMs, limit) {
      const due = await redis.zrangebyscore(dueKey, '-inf', nowMs, 'LIMIT', 0, limit);
      const claimed: string[] = [];
      for (const requestId of due) {
        const won = await redis.eval(CLAIM, 2, dueKey, recordKey(requestId), nowMs, leaseMs, requestId);
        if (won === 1) claimed.push(requestId);
      }
      return claimed;
    },

    async get(requestId) {
      const fields = await read(requestId);
      if (fields === undefined) return undefined;
      return { requestId, provider: 'google', sentAtMs: Number(fields['s']), eventCount: Number(fields['n']), attempts: Number(fields['a'] ?? 0) };
    },

    async complete(requestId, result, nowMs = Date.now()) {
      const stored: RequestResult = 'unresolved' in result ? result : { destinations: result.destinations.map(boundedVerdict) };
      const updated = await redis.eval(UPDATE_IF_EXISTS, 1, recordKey(requestId), 'r', JSON.stringify(stored), 'c', nowMs);
      await redis.zrem(dueKey, requestId);
      return updated === 1;
    },

    async reschedule(requestId, atMs, checkedAtMs) {
      const exists = checkedAtMs === undefined
        ? await redis.exists(recordKey(requestId))
        : await redis.eval(UPDATE_IF_EXISTS, 1, recordKey(requestId), 'c', checkedAtMs);
      if (exists === 1) await redis.zadd(dueKey, 'XX', atMs, requestId);
      else await redis.zrem(dueKey, requestId);
    },
  };
}
