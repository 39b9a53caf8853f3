import { PROVIDERS, type Provider } from '@capconnect/core';
import type { Job, Queue } from 'bullmq';
import { jobIdFor } from './job-id.js';
import { FINAL_STATES, parseFailure, type DeliveryOutcome, type DeliveryStatus } from './outcome.js';

/**
 * Reading delivery state back from the queues, for `GET /v1/events/:eventId` and `?wait=`
 * (SPEC §2). Everything here comes from job state, attempt counters, the worker's
 * `DeliveryOutcome` and the coded `failedReason`: codes, statuses and provider references,
 * never job data, so nothing personal can leave through a status answer.
 */

/** The queues this module reads: the producer's or a worker's, keyed by provider. */
export type ProviderQueues = Readonly<Record<Provider, Queue>>;

/** One job to look at. */
export interface DeliveryTarget {
  provider: Provider;
  jobId: string;
}

function isDeliveryOutcome(value: unknown): value is DeliveryOutcome {
  return typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'sent';
}

/** When a delayed job runs next: its score in the delayed set is `timestamp * 0x1000 + counter` (BullMQ getDelayedScore.lua). */
async function nextAttemptAt(queue: Queue, jobId: string): Promise<number | undefined> {
  const client = await queue.getBackend().client;
  const score = await client.zscore(queue.keys.delayed ?? queue.toKey('delayed'), jobId);
  return score === null ? undefined : Math.floor(Number(score) / 0x1000);
}

function statusOf(queue: Queue, job: Job, target: DeliveryTarget, state: string): Promise<DeliveryStatus> | DeliveryStatus {
  const base = { provider: target.provider, jobId: target.jobId, attempts: job.attemptsMade };
  switch (state) {
    case 'completed': {
      const outcome: unknown = job.returnvalue;
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
  const queue = queues[target.provider];
  // State first, then the hash: a job read before its state could lack the outcome that a
  // state read a moment later already reports.
  const state = await queue.getJobState(target.jobId);
  if (state === 'unknown') return undefined;
  const job = await queue.getJob(target.jobId);
  if (!job) return undefined;
  return statusOf(queue, job, target, state);
}

/**
 * Per-provider delivery state of an event: one entry per provider that has a job for it. An
 * empty list means the event is unknown (never queued, or removed after its retention).
 */
export async function readEventStatus(queues: ProviderQueues, eventId: string): Promise<DeliveryStatus[]> {
  const statuses = await Promise.all(
    PROVIDERS.map((provider) => readDeliveryStatus(queues, { provider, jobId: jobIdFor(provider, eventId) })),
  );
  return statuses.filter((status): status is DeliveryStatus => status !== undefined);
}

export interface WaitOptions {
  /** How long to wait for every target to reach a final state, in ms. */
  timeoutMs: number;
  /** Poll interval, in ms (default 100; grows by 1 ms per pending job, up to 1000). */
  intervalMs?: number;
  /** Stops waiting early (e.g. the client went away). */
  signal?: AbortSignal;
}

export interface WaitResult {
  /** The last known status per target, in target order; undefined when the job was not found. */
  statuses: (DeliveryStatus | undefined)[];
  /** True when every target reached a final state (sent, failed, expired) before the deadline. */
  complete: boolean;
}

/**
 * Waits until every target job reaches a final state, or the time runs out, by polling job state.
 * Polling rides on the queues' existing connection: no blocking command, no connection per
 * waiting request, and a producer connection that fails fast keeps failing fast here. A read
 * error ends the wait with what is known (the caller decides how to answer).
 */
export async function waitForOutcomes(queues: ProviderQueues, targets: readonly DeliveryTarget[], options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + options.timeoutMs;
  const statuses: (DeliveryStatus | undefined)[] = targets.map(() => undefined);
  const isFinal = (status: DeliveryStatus | undefined) => status !== undefined && FINAL_STATES.has(status.state);
  for (;;) {
    const pending = targets.map((target, index) => ({ target, index })).filter(({ index }) => !isFinal(statuses[index]));
    if (pending.length === 0) return { statuses, complete: true };
    const read = await Promise.all(pending.map(({ target }) => readDeliveryStatus(queues, target)));
    read.forEach((status, position) => {
      const index = pending[position]?.index;
      if (index !== undefined) statuses[index] = status;
    });
    if (statuses.every(isFinal)) return { statuses, complete: true };
    const intervalMs = Math.min((options.intervalMs ?? 100) + pending.length, 1000);
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0 || options.signal?.aborted) return { statuses, complete: false };
    await sleep(Math.min(intervalMs, remainingMs), options.signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
