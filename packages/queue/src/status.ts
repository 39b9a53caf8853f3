import { PROVIDERS, type Provider } from '@capconnect/core';
import type { Queue } from 'bullmq';
import { withRequestDiagnostics } from './event-diagnostics.js';
import { jobIdFor } from './job-id.js';
import type { OutcomeEvents } from './outcome-events.js';
import { FINAL_STATES, parseFailure, type DeliveryOutcome, type DeliveryStatus } from './outcome.js';

/**
 * Reading delivery state back from the queues, for `GET /v1/events/:eventId` and `?wait=`
 * (docs/architecture.md#delivery-states). Everything here comes from job state, attempt counters, the worker's
 * `DeliveryOutcome` and the coded `failedReason`: codes, statuses and provider references,
 * never job data, so nothing personal can leave through a status answer.
 *
 * A status read never loads the job: the state comes from BullMQ's `getState` script (it only
 * looks the id up in the state sets and lists) and the job hash is read with `HMGET` of the few
 * fields below, so the sealed event (`data`, up to the body limit) never leaves Redis for a
 * status answer (docs/decisions.md#status-reads-and-waits).
 */
/**
 * The queues this module reads: one shard's, keyed by provider, or every shard's (a `ShardQueues`),
 * which finds a job's shard from its id and, when the current shard does not know it, looks in
 * shards an earlier `QUEUE_SHARDS` left (docs/architecture.md#changing-the-shard-count).
 */
export type ProviderQueues = Readonly<Record<Provider, Queue>> | ShardedQueues;

/** Every shard's queues, as `ShardQueues` offers them. */
export interface ShardedQueues {
  /** The base prefix (`{capconnect}`), under which the Data Manager request records live. */
  readonly prefix: string;
  /** Shards per provider (`QUEUE_SHARDS`): where each event's request-record index key lives. */
  readonly count: number;
  /** The job's queue in the shard its id routes to. */
  queueFor(target: DeliveryTarget): Queue;
  /** The same queue in every older shard found in Redis. */
  olderQueuesFor(target: DeliveryTarget): Queue[];
}

function isSharded(queues: ProviderQueues): queues is ShardedQueues {
  return 'queueFor' in queues;
}

/** One job to look at. */
export interface DeliveryTarget {
  provider: Provider;
  jobId: string;
}

function isDeliveryOutcome(value: unknown): value is DeliveryOutcome {
  return typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'sent';
}

/**
 * The job-hash fields a status needs. BullMQ 6 keeps the attempt counter as `atm` (older jobs:
 * `attemptsMade`); `timestamp` is set on every job and tells "no such hash" from "no outcome yet".
 */
const STATUS_FIELDS = ['timestamp', 'atm', 'attemptsMade', 'finishedOn', 'failedReason', 'returnvalue'] as const;

/** What a status answer needs from a job hash: no data, no options. */
interface StatusFields {
  attemptsMade: number;
  finishedOn?: number;
  failedReason?: string;
  returnvalue?: unknown;
}

async function readStatusFields(queue: Queue, jobId: string): Promise<StatusFields | undefined> {
  const client = await queue.getBackend().client;
  const [timestamp, atm, attemptsMade, finishedOn, failedReason, returnvalue] = await client.hmget(queue.toKey(jobId), ...STATUS_FIELDS);
  if (timestamp === null || timestamp === undefined) return undefined;
  let outcome: unknown;
  try {
    outcome = typeof returnvalue === 'string' ? JSON.parse(returnvalue) : undefined;
  } catch {
    outcome = undefined;
  }
  return {
    attemptsMade: Number(atm ?? attemptsMade ?? 0) || 0,
    ...(finishedOn && { finishedOn: Number(finishedOn) }),
    ...(failedReason && { failedReason }),
    ...(outcome !== undefined && { returnvalue: outcome }),
  };
}

/** When a delayed job runs next: its score in the delayed set is `timestamp * 0x1000 + counter` (BullMQ getDelayedScore.lua). */
async function nextAttemptAt(queue: Queue, jobId: string): Promise<number | undefined> {
  const client = await queue.getBackend().client;
  const score = await client.zscore(queue.keys.delayed ?? queue.toKey('delayed'), jobId);
  return score === null ? undefined : Math.floor(Number(score) / 0x1000);
}

function statusOf(queue: Queue, job: StatusFields, target: DeliveryTarget, state: string): Promise<DeliveryStatus> | DeliveryStatus {
  const base = { provider: target.provider, jobId: target.jobId, attempts: job.attemptsMade };
  switch (state) {
    case 'completed': {
      const outcome = job.returnvalue;
      if (!isDeliveryOutcome(outcome)) return { ...base, state: 'sent', ...(job.finishedOn !== undefined && { finishedAt: job.finishedOn }) };
      return {
        ...base,
        state: 'sent',
        attempts: Math.max(outcome.attempts, base.attempts),
        httpStatus: outcome.httpStatus,
        finishedAt: outcome.sentAt,
        ...(outcome.reference !== undefined && { reference: outcome.reference }),
        ...(outcome.warnings !== undefined && outcome.warnings.length > 0 && { warnings: outcome.warnings }),
      };
    }
    case 'failed': {
      const failure = parseFailure(job.failedReason);
      return {
        ...base,
        state: failure.code === 'expired' ? 'expired' : 'failed',
        reason: failure.code,
        ...(failure.httpStatus !== undefined && { httpStatus: failure.httpStatus }),
        ...(failure.reference !== undefined && { reference: failure.reference }),
        ...(job.finishedOn !== undefined && { finishedAt: job.finishedOn }),
      };
    }
    case 'active':
      return { ...base, state: 'sending' };
    case 'delayed': {
      if (job.attemptsMade === 0) return { ...base, state: 'queued' };
      const reason = job.failedReason ? parseFailure(job.failedReason).code : undefined;
      return nextAttemptAt(queue, target.jobId).then((at) => ({
        ...base,
        state: 'retrying' as const,
        ...(at !== undefined && { nextAttemptAt: at }),
        ...(reason !== undefined && { reason }),
      }));
    }
    default:
      // waiting, prioritized, waiting-children; a job retried at once is `waiting` with attempts > 0.
      return { ...base, state: base.attempts > 0 ? 'retrying' : 'queued' };
  }
}

/** The delivery status of one job, or undefined when there is no such job (never queued, or past retention). */
export async function readDeliveryStatus(queues: ProviderQueues, target: DeliveryTarget): Promise<DeliveryStatus | undefined> {
  if (!isSharded(queues)) return readFrom(queues[target.provider], target);
  const status = await readFrom(queues.queueFor(target), target);
  if (status !== undefined) return status;
  // Queued before QUEUE_SHARDS changed: the job stays in the shard it was routed to then.
  for (const queue of queues.olderQueuesFor(target)) {
    const older = await readFrom(queue, target);
    if (older !== undefined) return older;
  }
  return undefined;
}

async function readFrom(queue: Queue, target: DeliveryTarget): Promise<DeliveryStatus | undefined> {
  // State first, then the hash: a job read before its state could lack the outcome that a
  // state read a moment later already reports.
  const state = await queue.getJobState(target.jobId);
  if (state === 'unknown') return undefined;
  const fields = await readStatusFields(queue, target.jobId);
  if (!fields) return undefined;
  return statusOf(queue, fields, target, state);
}

/**
 * Per-provider delivery state of an event: one entry per provider that has a job for it. An
 * empty list means the event is unknown (never queued, or removed after its retention).
 */
export async function readEventStatus(queues: ProviderQueues, eventId: string): Promise<DeliveryStatus[]> {
  const statuses = await Promise.all(
    PROVIDERS.map((provider) => readDeliveryStatus(queues, { provider, jobId: jobIdFor(provider, eventId) })),
  );
  const found = statuses.filter((status): status is DeliveryStatus => status !== undefined);
  if (!isSharded(queues)) return withRequestDiagnostics(queues.google, eventId, found);
  const target = { provider: 'google' as const, jobId: jobIdFor('google', eventId) };
  // Older shards (after a QUEUE_SHARDS change) may hold the index key of an event sent before it.
  const olderPrefixes = queues.olderQueuesFor(target).map((queue) => queue.opts.prefix ?? queues.prefix);
  return withRequestDiagnostics(queues.queueFor(target), eventId, found, { prefix: queues.prefix, shards: queues.count, olderPrefixes });
}

export interface WaitOptions {
  /** How long to wait for every target to reach a final state, in ms. */
  timeoutMs: number;
  /**
   * Settlement notices (one hub per process). With them, a target is read again when its job
   * settles, plus a slow safety poll; without them, every pending target is polled.
   * @defaultValue none: every pending target is polled
   */
  events?: OutcomeEvents;
  /**
   * Poll interval without `events`, in ms; grows by 1 ms per pending job, up to 1000 ms.
   * @defaultValue 100
   */
  intervalMs?: number;
  /**
   * Safety poll interval with `events`, in ms, plus 10 ms per pending job.
   * @defaultValue 2000
   */
  safetyPollMs?: number;
  /**
   * Stops waiting early (e.g. the client went away).
   * @defaultValue none: waits until complete or `timeoutMs`
   */
  signal?: AbortSignal;
}

export interface WaitResult {
  /** The last known status per target, in target order; undefined when the job was not found. */
  statuses: (DeliveryStatus | undefined)[];
  /** True when every target reached a final state (sent, failed, expired) before the deadline. */
  complete: boolean;
}

/** The current status of every target, in order (one read each; no waiting). */
export function readStatuses(queues: ProviderQueues, targets: readonly DeliveryTarget[]): Promise<(DeliveryStatus | undefined)[]> {
  return Promise.all(targets.map((target) => readDeliveryStatus(queues, target)));
}

/**
 * Waits until every target job reaches a final state, or the time runs out. With `events`, a
 * target is read once at the start and again only when its job settles (or at the safety poll);
 * without, every pending target is polled. Reads ride on the queues' existing connection, so a
 * producer connection that fails fast keeps failing fast here. A read error ends the wait (the
 * caller decides how to answer).
 */
export async function waitForOutcomes(queues: ProviderQueues, targets: readonly DeliveryTarget[], options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  const statuses: (DeliveryStatus | undefined)[] = targets.map(() => undefined);
  const isFinal = (status: DeliveryStatus | undefined) => status !== undefined && FINAL_STATES.has(status.state);
  const { events } = options;
  // Targets whose job settled since the last read; all of them at the start.
  let settled = new Set(targets.map((_target, index) => index));
  let wake: (() => void) | undefined;
  // Subscribe before the first read, so a job settling in between is not missed.
  const unsubscribe = events ? targets.map((target, index) => events.subscribe(target.provider, target.jobId, () => {
    settled.add(index);
    wake?.();
  })) : [];
  try {
    for (;;) {
      const pending = targets.map((target, index) => ({ target, index })).filter(({ index }) => !isFinal(statuses[index]));
      if (pending.length === 0) return { statuses, complete: true };
      const toRead = events ? pending.filter(({ index }) => settled.has(index)) : pending;
      settled = new Set();
      const read = await readStatuses(queues, toRead.map(({ target }) => target));
      read.forEach((status, position) => {
        const index = toRead[position]?.index;
        if (index !== undefined) statuses[index] = status;
      });
      if (statuses.every(isFinal)) return { statuses, complete: true };
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0 || options.signal?.aborted) return { statuses, complete: false };
      if (settled.size > 0) continue;
      const intervalMs = events
        ? (options.safetyPollMs ?? 2000) + 10 * pending.length
        : Math.min((options.intervalMs ?? 100) + pending.length, 1000);
      const woken = await sleep(Math.min(intervalMs, remainingMs), options.signal, (resume) => { wake = resume; });
      wake = undefined;
      // The safety poll (or the fallback without events): read every pending target again.
      if (!woken) for (const { index } of pending) settled.add(index);
    }
  } finally {
    for (const stop of unsubscribe) stop();
  }
}

/** Sleeps `ms`; resolves true when woken early through `onWake`, false at the end or on abort. */
function sleep(ms: number, signal: AbortSignal | undefined, onWake: (resume: () => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { done(false); }, ms);
    const onAbort = () => { done(false); };
    function done(woken: boolean) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(woken);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    onWake(() => { done(true); });
  });
}
