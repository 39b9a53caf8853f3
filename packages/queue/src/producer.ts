import { PROVIDERS, type Keyring, type PreparedEvent, type Provider } from '@capconnect/core';
import { Queue } from 'bullmq';
import { toJobData } from './job-data.js';
import { jobIdFor } from './job-id.js';
import { jobOptions, type JobPolicy } from './job-options.js';
import type { JobData } from './job-schema.js';
import { JOB_NAME, QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
import type { RedisConnection } from './connection.js';

/** Up to this many jobs, the existence check uses plain commands instead of a pipeline. */
const SMALL_CHECK = 8;

/** Redis could not take the write (down, full, or too slow). The API answers 503. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}

export interface ProducerOptions {
  /** A `producer`-role connection (fails fast); the producer does not close it. */
  connection: RedisConnection;
  /**
   * BullMQ key prefix; tests use a fresh one each.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  keyring: Keyring;
  policy: JobPolicy;
  /**
   * How long a write waits for a (re)connecting Redis before giving up, in ms.
   * @defaultValue 500
   */
  readyTimeoutMs?: number;
}

/** What to enqueue for one ingest item: its event id and one prepared event per eligible provider. */
export interface EnqueueItem {
  eventId: string;
  prepared: readonly PreparedEvent[];
}

export interface EnqueuedJob {
  provider: Provider;
  jobId: string;
  /** `duplicate`: a job with this id already exists (or appeared earlier in the same call). */
  status: 'queued' | 'duplicate';
}

/**
 * Enqueues delivery jobs: one job per event per destination, sealed, with the idempotent job id.
 * A whole call is one round of `addBulk` per queue, so a 1000-item batch costs two Redis scripts.
 */
export class Producer {
  readonly prefix: string;
  readonly queues: Readonly<Record<Provider, Queue<JobData>>>;
  private readonly connection: RedisConnection;
  private readonly keyring: Keyring;
  private readonly policy: JobPolicy;
  private readonly readyTimeoutMs: number;

  constructor(options: ProducerOptions) {
    this.prefix = options.prefix ?? QUEUE_PREFIX;
    this.connection = options.connection;
    this.keyring = options.keyring;
    this.policy = options.policy;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 500;
    const make = (provider: Provider) =>
      new Queue<JobData>(QUEUE_NAMES[provider], { connection: options.connection, prefix: this.prefix });
    this.queues = { meta: make('meta'), google: make('google') };
    for (const queue of Object.values(this.queues)) {
      // Errors surface on the failing call; the queue's own error event only needs a listener.
      queue.on('error', () => undefined);
    }
  }

  /**
   * Enqueues every item, returning per item the jobs and whether each was new. Throws
   * `QueueUnavailableError` when Redis cannot take the write: then nothing is reported as queued.
   */
  async enqueue(items: readonly EnqueueItem[], ingestedAt = Date.now()): Promise<EnqueuedJob[][]> {
    const results: EnqueuedJob[][] = items.map(() => []);
    const seen = new Set<string>();
    const pending: { provider: Provider; jobId: string; itemIndex: number; data: JobData; eventId: string }[] = [];
    items.forEach((item, itemIndex) => {
      for (const prepared of item.prepared) {
        const jobId = jobIdFor(prepared.provider, item.eventId);
        if (seen.has(jobId)) {
          results[itemIndex]?.push({ provider: prepared.provider, jobId, status: 'duplicate' });
          continue;
        }
        seen.add(jobId);
        pending.push({ provider: prepared.provider, jobId, itemIndex, eventId: item.eventId, data: toJobData(prepared, this.keyring, ingestedAt) });
      }
    });
    if (pending.length === 0) return results;

    try {
      await this.awaitReady(this.readyTimeoutMs);
      // The existence check and the adds leave in the same tick on the same connection, so Redis
      // answers EXISTS before it runs the adds: one round trip, and the check sees the state before.
      const existingCheck = this.existingJobIds(pending);
      const adds = PROVIDERS.map((provider) => {
        const jobs = pending.filter((job) => job.provider === provider);
        const [only] = jobs;
        if (only === undefined) return Promise.resolve();
        if (jobs.length === 1) {
          return this.queues[provider].add(JOB_NAME, only.data, jobOptions(provider, only.eventId, this.policy));
        }
        return this.queues[provider].addBulk(
          jobs.map((job) => ({ name: JOB_NAME, data: job.data, opts: jobOptions(provider, job.eventId, this.policy) })),
        );
      });
      const [existing] = await Promise.all([existingCheck, ...adds]);
      for (const job of pending) {
        results[job.itemIndex]?.push({ provider: job.provider, jobId: job.jobId, status: existing.has(job.jobId) ? 'duplicate' : 'queued' });
      }
      return results;
    } catch (error) {
      throw new QueueUnavailableError('Redis could not store the events', { cause: error });
    }
  }

  /**
   * Which job ids already exist. BullMQ silently ignores an add with an existing id, so this
   * check only decides what we *report*; the queue's own rule is what keeps duplicates out.
   */
  private async existingJobIds(jobs: readonly { provider: Provider; jobId: string }[]): Promise<Set<string>> {
    const keyOf = (job: { provider: Provider; jobId: string }) => `${this.prefix}:${QUEUE_NAMES[job.provider]}:${job.jobId}`;
    const existing = new Set<string>();
    if (jobs.length <= SMALL_CHECK) {
      // ioredis copies every defined script (BullMQ defines dozens) into each pipeline it builds;
      // for a few keys, plain commands are cheaper and still leave in the same tick.
      const counts = await Promise.all(jobs.map((job) => this.connection.exists(keyOf(job))));
      counts.forEach((count, index) => { const job = jobs[index]; if (job && count === 1) existing.add(job.jobId); });
      return existing;
    }
    const pipeline = this.connection.pipeline();
    for (const job of jobs) pipeline.exists(keyOf(job));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, count], index) => {
      if (error) throw error;
      const job = jobs[index];
      if (job && count === 1) existing.add(job.jobId);
    });
    return existing;
  }

  /**
   * Waits (briefly) for the connection to be ready. The producer connection never queues
   * commands offline, so a write attempted while it (re)connects would fail at once.
   */
  async awaitReady(timeoutMs: number): Promise<void> {
    if (this.connection.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => {
        this.connection.off('ready', onReady);
        reject(new QueueUnavailableError('Redis connection is not ready'));
      }, timeoutMs);
      this.connection.once('ready', onReady);
    });
  }

  /** A cheap round trip that proves Redis takes commands (readiness). */
  async ping(): Promise<boolean> {
    try {
      await this.awaitReady(this.readyTimeoutMs);
      await this.connection.ping();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
  }
}
