import { PROVIDERS, type Provider } from '@capconnect/core';
import { parseFailure, summarizeJobData, type JobData } from '@capconnect/queue';
import type { Job } from 'bullmq';
import { EXIT, formatAge, formatTable, progress, writeJson, writeLine, type Io } from './output.js';
import type { OpsQueues } from './queues.js';

/**
 * The dead-letter queue is BullMQ's failed set (kept FAILED_RETENTION_S). These commands show
 * ids, codes, counts and event metadata only: jobs hold no plaintext personal data, and digests
 * are not printed either.
 */

export interface FailedFilter {
  provider?: Provider;
  /** Reason code, e.g. `meta_100`, `http_5xx`, `CLICK_NOT_FOUND`. */
  reason?: string;
  /** Failed at or after this unix ms. */
  sinceMs?: number;
  /** Failed before this unix ms. */
  untilMs?: number;
}

export interface FailedSummary {
  jobId: string;
  provider: Provider;
  reason: string;
  httpStatus?: number;
  reference?: string;
  attempts: number;
  failedAt: number;
  eventName?: string;
  eventId?: string;
  eventTime?: number;
}

function summarize(provider: Provider, job: Job<JobData>): FailedSummary {
  const failure = parseFailure(job.failedReason);
  // Any schema version (a job failed as invalid_job may be no job at all: then no event facts).
  const event = summarizeJobData(job.data)?.event;
  return {
    jobId: job.id ?? '',
    provider,
    reason: failure.code,
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ?? job.timestamp,
    ...(failure.httpStatus !== undefined && { httpStatus: failure.httpStatus }),
    ...(failure.reference !== undefined && { reference: failure.reference }),
    ...(event && { eventName: event.eventName, eventId: event.eventId, eventTime: event.eventTime }),
  };
}

/** Failed jobs matching the filter, newest first, with the BullMQ job for each. */
export async function findFailed(ops: OpsQueues, filter: FailedFilter): Promise<{ summary: FailedSummary; job: Job<JobData> }[]> {
  const providers = filter.provider ? [filter.provider] : [...PROVIDERS];
  const found: { summary: FailedSummary; job: Job<JobData> }[] = [];
  for (const queue of ops.shards.flatMap((shard) => providers.map((provider) => ({ provider, queue: shard.queues[provider] })))) {
    const { provider } = queue;
    const pageSize = 1000;
    for (let start = 0; ; start += pageSize) {
      const jobs = await queue.queue.getFailed(start, start + pageSize - 1);
      for (const job of jobs) {
        const summary = summarize(provider, job);
        if (filter.reason !== undefined && summary.reason !== filter.reason) continue;
        if (filter.sinceMs !== undefined && summary.failedAt < filter.sinceMs) continue;
        if (filter.untilMs !== undefined && summary.failedAt >= filter.untilMs) continue;
        found.push({ summary, job });
      }
      if (jobs.length < pageSize) break;
    }
  }
  return found.sort((a, b) => b.summary.failedAt - a.summary.failedAt);
}

/** `capconnect failed list`. */
export async function failedListCommand(ops: OpsQueues, io: Io, options: FailedFilter & { json?: boolean; limit?: number; nowMs?: number }): Promise<number> {
  const found = (await findFailed(ops, options)).slice(0, options.limit ?? 100);
  if (options.json) {
    writeJson(io, found.map((entry) => entry.summary));
    return EXIT.ok;
  }
  const now = options.nowMs ?? Date.now();
  if (found.length === 0) {
    writeLine(io.out, 'no failed jobs match');
    return EXIT.ok;
  }
  writeLine(io.out, formatTable(
    ['job id', 'provider', 'reason', 'http', 'attempts', 'age', 'event'],
    found.map(({ summary }) => [summary.jobId, summary.provider, summary.reason, summary.httpStatus ?? '', summary.attempts, formatAge(summary.failedAt, now), summary.eventName ?? '']),
  ));
  return EXIT.ok;
}

/** `capconnect failed show <jobId>`: one job's metadata and which identifier fields it carries. */
export async function failedShowCommand(ops: OpsQueues, io: Io, jobId: string, options: { json?: boolean }): Promise<number> {
  const provider = PROVIDERS.find((candidate) => jobId.startsWith(`${candidate}-`));
  let job: Job<JobData> | undefined;
  // The job id does not say which shard holds it; ask each (a handful of HGETALLs at most).
  for (const shard of provider ? ops.shards : []) job ??= await shard.queues[provider as Provider].getJob(jobId);
  if (!provider || !job) {
    writeLine(io.err, `no job ${jobId}`);
    return EXIT.failure;
  }
  const state = await job.getState();
  const data = summarizeJobData(job.data);
  const detail = {
    ...summarize(provider, job),
    state,
    identifierFields: data?.identifierFields ?? [],
    sealedMatchFields: data?.sealedMatchFields ?? false,
    ...(data?.event.value !== undefined && { value: data.event.value, currency: data.event.currency }),
    ...(data?.mode !== undefined && { mode: data.mode, conversionActionId: data.conversionActionId }),
  };
  if (options.json) writeJson(io, detail);
  else writeLine(io.out, formatTable(['field', 'value'], Object.entries(detail).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : String(value)])));
  return EXIT.ok;
}

/**
 * `capconnect replay`: moves matching failed jobs back to waiting with a fresh attempt budget.
 * Always prints the count first; `--dry-run` stops there. Expired events are skipped unless asked
 * for: they would only expire again.
 */
export async function replayCommand(
  ops: OpsQueues,
  io: Io,
  options: FailedFilter & { dryRun?: boolean; includeExpired?: boolean; json?: boolean },
): Promise<number> {
  const found = (await findFailed(ops, options)).filter((entry) => options.includeExpired === true || entry.summary.reason !== 'expired');
  const byGroup = new Map<string, number>();
  for (const { summary } of found) byGroup.set(`${summary.provider} ${summary.reason}`, (byGroup.get(`${summary.provider} ${summary.reason}`) ?? 0) + 1);
  if (!options.json) {
    writeLine(io.out, `${found.length} failed job(s) match${options.dryRun ? ' (dry run: nothing replayed)' : ''}`);
    for (const [group, count] of byGroup) writeLine(io.out, `  ${group}: ${count}`);
  }
  let replayed = 0;
  const errors: string[] = [];
  if (!options.dryRun) {
    const bar = progress(io, 'replaying', found.length);
    for (const { job } of found) {
      try {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        replayed += 1;
      } catch {
        // A job that left the failed set meanwhile (replayed elsewhere, removed) is not an error.
        errors.push(job.id ?? '');
      }
      bar.tick(replayed + errors.length);
    }
    bar.end();
  }
  if (options.json) writeJson(io, { matched: found.length, replayed, skipped: errors, dryRun: options.dryRun === true, groups: Object.fromEntries(byGroup) });
  else if (!options.dryRun) writeLine(io.out, `replayed ${replayed}${errors.length > 0 ? `, ${errors.length} had already left the failed set` : ''}`);
  return EXIT.ok;
}

/** Parses `--since/--until`: ISO-8601, or a duration back from now (`90s`, `15m`, `6h`, `3d`). */
export function parseTimeArgument(text: string, nowMs: number): number {
  const relative = /^(\d+)(s|m|h|d)$/.exec(text);
  if (relative?.[1] && relative[2]) {
    const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return nowMs - Number(relative[1]) * unitMs;
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new RangeError('expected an ISO-8601 time or a duration like 6h or 3d');
  return parsed;
}
