import { PROVIDERS, type Keyring, type PreparedEvent, type Provider } from '@capconnect/core';
import type { JobsOptions } from 'bullmq';
import { Cluster, type Redis } from 'ioredis';
import { toJobData } from './job-data.js';
import { jobIdFor } from './job-id.js';
import { jobOptions, type JobPolicy } from './job-options.js';
import type { JobData } from './job-schema.js';
import { JOB_NAME, QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
import type { RedisConnection } from './connection.js';
import { ShardQueues, type QueueShard, type ShardProviderQueues } from './shard-queues.js';
import { keySlot } from './shards.js';
import { retryWhileSlotsMove } from './slot-retry.js';
import { waitForReplicas } from './replica-wait.js';

/**
 * Which of its keys exist, as one `0`/`1` flag per key in order: the duplicate report's check for a
 * whole call (per shard: the keys share one slot) in one command (docs/decisions.md#one-write-per-ingest-request).
 */
const EXISTING_SCRIPT = `local flags = {}
for i = 1, #KEYS do flags[i] = redis.call('EXISTS', KEYS[i]) end
return table.concat(flags)`;
const EXISTING_COMMAND = 'capconnectExistingJobs';

/** The connection once `EXISTING_COMMAND` is defined on it. */
type WithExistingCommand = RedisConnection & Record<typeof EXISTING_COMMAND, (numberOfKeys: number, ...keys: string[]) => Promise<string>>;

/** Redis could not take the write (down, full, or too slow). The API answers 503. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}

export interface ProducerOptions {
  /** A `producer`-role connection (fails fast); the producer does not close it. */
  connection: RedisConnection;
  /**
   * BullMQ key prefix; tests use a fresh one each. Shard prefixes derive from it.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * Queue shards per provider (`QUEUE_SHARDS`): jobs go to the shard of their event id (docs/architecture.md#shards).
   * @defaultValue 1
   */
  shards?: number;
  /**
   * Replicas (`QUEUE_WAIT_REPLICAS`): before `enqueue` resolves, this many replicas of every master
   * written to must have the jobs (Redis `WAIT`), so a failover cannot lose an acknowledged event.
   * @defaultValue 0 (no `WAIT`)
   */
  waitReplicas?: number;
  /**
   * The longest `WAIT`, in ms (`QUEUE_WAIT_TIMEOUT_MS`); past it `enqueue` throws `QueueUnavailableError`.
   * @defaultValue 500
   */
  waitTimeoutMs?: number;
  /**
   * How long adds are repeated while a cluster slot moves or fails over, in ms.
   * @defaultValue 1000
   */
  slotRetryMs?: number;
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

interface PendingJob {
  provider: Provider;
  jobId: string;
  itemIndex: number;
  data: JobData;
  opts: JobsOptions;
  shard: QueueShard;
}

/**
 * Enqueues delivery jobs: one job per event per destination, sealed, with the idempotent job id,
 * on the shard of the event id. A whole call is one existence check per shard plus one `add` (or
 * `addBulk`) per queue and shard; on one Redis all of them leave in one socket write.
 */
export class Producer {
  readonly prefix: string;
  /** Every shard's queues (one shard, `{capconnect}`, by default). */
  readonly shards: ShardQueues;
  /** The first shard's queues: with one shard, the only ones. */
  readonly queues: ShardProviderQueues;
  private readonly connection: WithExistingCommand;
  private readonly keyring: Keyring;
  private readonly policy: JobPolicy;
  private readonly readyTimeoutMs: number;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly slotRetryMs: number;

  constructor(options: ProducerOptions) {
    this.prefix = options.prefix ?? QUEUE_PREFIX;
    options.connection.defineCommand(EXISTING_COMMAND, { lua: EXISTING_SCRIPT });
    this.connection = options.connection as WithExistingCommand;
    this.keyring = options.keyring;
    this.policy = options.policy;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 500;
    this.waitReplicas = options.waitReplicas ?? 0;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 500;
    this.slotRetryMs = options.slotRetryMs ?? 1000;
    this.shards = new ShardQueues({ connection: options.connection, prefix: this.prefix, count: options.shards ?? 1 });
    const [first] = this.shards.shards();
    if (!first) throw new RangeError('no queue shard');
    this.queues = first.queues;
  }

  /**
   * Enqueues every item, returning per item the jobs and whether each was new. Throws
   * `QueueUnavailableError` when Redis cannot take the write: then nothing is reported as queued.
   */
  async enqueue(items: readonly EnqueueItem[], ingestedAt = Date.now()): Promise<EnqueuedJob[][]> {
    const results: EnqueuedJob[][] = items.map(() => []);
    const seen = new Set<string>();
    const pending: PendingJob[] = [];
    items.forEach((item, itemIndex) => {
      const shard = this.shards.shardOf(item.eventId);
      for (const prepared of item.prepared) {
        const opts = jobOptions(prepared.provider, item.eventId, this.policy);
        const jobId = opts.jobId ?? jobIdFor(prepared.provider, item.eventId);
        if (seen.has(jobId)) {
          results[itemIndex]?.push({ provider: prepared.provider, jobId, status: 'duplicate' });
          continue;
        }
        seen.add(jobId);
        pending.push({ provider: prepared.provider, jobId, itemIndex, shard, opts, data: toJobData(prepared, this.keyring, ingestedAt) });
      }
    });
    if (pending.length === 0) return results;

    try {
      if (this.connection.status !== 'ready') await this.awaitReady(this.readyTimeoutMs);
      const deadlineMs = Date.now() + this.slotRetryMs;
      const byShard = new Map<QueueShard, PendingJob[]>();
      for (const job of pending) {
        const jobs = byShard.get(job.shard);
        if (jobs) jobs.push(job);
        else byShard.set(job.shard, [job]);
      }
      const cluster = this.connection instanceof Cluster;
      // Slots only move on a cluster; elsewhere an operation runs once, without the retry wrapper (a
      // single Redis answers LOADING only before it is ready, which the connection waits for).
      const attempt = <T>(operation: () => Promise<T>): Promise<T> => (cluster ? retryWhileSlotsMove(operation, { deadlineMs }) : operation());
      // On one Redis the existence check and the adds go out in one socket write on one
      // connection, so Redis answers the check before it runs the adds: one round trip, and the
      // check sees the state before (docs/decisions.md#one-write-per-ingest-request). A cluster
      // client writes a pipeline and a command to a node whose connection is still opening in
      // either order, so there the adds wait for the check (docs/decisions.md#retrying-adds-during-slot-moves).
      if (!cluster) this.holdWritesForThisTurn();
      const existingChecks = Promise.all([...byShard.values()].map((jobs) => attempt(() => this.existingJobIds(jobs))));
      if (cluster) await existingChecks;
      const adds = [...byShard].flatMap(([shard, shardJobs]) => PROVIDERS.map((provider) => {
        const jobs = shardJobs.filter((job) => job.provider === provider);
        const [only] = jobs;
        if (only === undefined) return Promise.resolve();
        const queue = shard.queues[provider];
        // A retried add is harmless: the job ids are fixed, so jobs already stored are ignored (slot-retry.ts).
        return attempt(async () => {
          if (jobs.length === 1) await queue.add(JOB_NAME, only.data, only.opts);
          else await queue.addBulk(jobs.map((job) => ({ name: JOB_NAME, data: job.data, opts: job.opts })));
        });
      }));
      const [existingSets] = await Promise.all([existingChecks, ...adds]);
      if (this.waitReplicas > 0) {
        await waitForReplicas(this.connection, [...byShard.keys()].map((shard) => keySlot(shard.prefix)), this.waitReplicas, this.waitTimeoutMs);
      }
      const existing = existingSets.length === 1 ? existingSets[0] ?? new Set<string>() : new Set(existingSets.flatMap((set) => [...set]));
      for (const job of pending) {
        results[job.itemIndex]?.push({ provider: job.provider, jobId: job.jobId, status: existing.has(job.jobId) ? 'duplicate' : 'queued' });
      }
      return results;
    } catch (error) {
      throw new QueueUnavailableError('Redis could not store the events', { cause: error });
    }
  }

  /**
   * Holds this connection's writes until the current event-loop turn has run its callbacks and
   * promise jobs, then sends them in one write (`cork`/`uncork` of the socket): the existence
   * check and the adds of a call, which BullMQ issues a few promise jobs apart, leave together,
   * with those of any other request of the same turn. Only the bytes are batched: every command
   * stays its own command, in order, with its own reply, so nothing about BullMQ's scripts changes
   * (unlike ioredis auto-pipelining, docs/decisions.md#no-ioredis-auto-pipelining).
   */
  private holdWritesForThisTurn(): void {
    const { stream } = this.connection as Redis;
    if (typeof stream.cork !== 'function') return;
    stream.cork();
    setImmediate(() => { stream.uncork(); });
  }

  /**
   * Which job ids already exist, in one command per shard. BullMQ silently ignores an add with an
   * existing id, so this check only decides what we *report*; the queue's own rule is what keeps
   * duplicates out.
   */
  private async existingJobIds(jobs: readonly PendingJob[]): Promise<Set<string>> {
    // One shard per call: on a cluster a script's keys must share one slot, which the shard's hash tag ensures.
    const keys = jobs.map((job) => `${job.shard.prefix}:${QUEUE_NAMES[job.provider]}:${job.jobId}`);
    const flags = await this.connection[EXISTING_COMMAND](keys.length, ...keys);
    const existing = new Set<string>();
    for (let index = flags.indexOf('1'); index !== -1; index = flags.indexOf('1', index + 1)) {
      const job = jobs[index];
      if (job) existing.add(job.jobId);
    }
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
    await this.shards.close();
  }
}
