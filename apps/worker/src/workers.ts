import { randomUUID } from 'node:crypto';
import type { Keyring, Provider } from '@capconnect/core';
import { PermanentError, type GoogleClient, type MetaClient } from '@capconnect/providers';
import {
  DEFAULT_RETENTION, InvalidJobError, QUEUE_NAMES, QUEUE_PREFIX, backoffDelayMs, openJobData, retentionOptions, type BackoffPolicy, type DeliveryOutcome,
  type JobPolicy, type OpenedJob, type RedisConnection,
} from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';
import { Queue, Worker, type Job } from 'bullmq';
import { BacklogSignal } from './backlog-signal.js';
import { createDataManagerDispatcher, type DataManagerDelivery } from './data-manager-dispatcher.js';
import { createGoogleDispatcher, createMetaDispatcher, type Dispatcher } from './dispatchers.js';
import { ProviderBlock, RetryableError, settle, settleSent, type SettleContext } from './settle.js';
import { startQueueDepthCollector } from './queue-depth.js';

export interface WorkerDeps {
  /** A `worker`-role connection (`maxRetriesPerRequest: null`). The caller closes it after `close()`. */
  connection: RedisConnection;
  /**
   * BullMQ key prefix; tests pass a fresh one.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * The queue shards to consume (their prefixes derive from `prefix`; start-worker.ts picks them
   * from `WORKER_SHARDS` plus older shards found in Redis).
   * @defaultValue the one shard `prefix`, labelled `'0'`
   */
  shards?: readonly WorkerShard[];
  keyring: Keyring;
  metrics: Metrics;
  logger: Logger;
  /** Attempts are set per job by the producer; these shape the delay between them. */
  retry: BackoffPolicy;
  /**
   * How long finished jobs are kept, in seconds (`COMPLETED_RETENTION_S`, `FAILED_RETENTION_S`): the
   * workers apply it when a job completes or fails (docs/decisions.md#retention-from-worker-options).
   * @defaultValue `DEFAULT_RETENTION` (one day; fourteen days in the dead-letter queue)
   */
  retention?: Pick<JobPolicy, 'completedRetentionS' | 'failedRetentionS'>;
  /** Jobs each worker holds at once (`WORKER_CONCURRENCY`); must be ≥ the batch size to fill a batch. */
  concurrency: number;
  /**
   * Google jobs a worker holds at once, in jobs (`GOOGLE_WORKER_CONCURRENCY`, whose own default is `GOOGLE_BATCH_MAX`).
   * @defaultValue `concurrency`
   */
  googleConcurrency?: number;
  /** How long a batch waits to fill, in ms (`BATCH_LINGER_MS`). */
  batchLingerMs: number;
  /**
   * Meta delivery (`batchMax` in events); omitted when Meta is disabled (no worker is started for its queue).
   * @defaultValue none: no Meta worker
   */
  meta?: { client: MetaClient; batchMax: number };
  /**
   * Google delivery through the Google Ads API (`GOOGLE_API=ads-api`, `batchMax` in events); omitted when Google is disabled or on Data Manager.
   * @defaultValue none: no Google Ads API worker
   */
  google?: { client: GoogleClient; batchMax: number; customerId: string; timeZone: string };
  /**
   * Google delivery through the Data Manager API (`GOOGLE_API=data-manager`); wins over `google` when both are given.
   * @defaultValue none: no Data Manager worker
   */
  dataManager?: DataManagerDelivery;
  /**
   * BullMQ lock duration, in ms (`WORKER_LOCK_DURATION_MS`); renewed every half of it while a job is held.
   * @defaultValue 30000
   */
  lockDurationMs?: number;
  /**
   * How often BullMQ looks for jobs of dead workers, in ms (`WORKER_STALLED_INTERVAL_MS`).
   * @defaultValue 30000
   */
  stalledIntervalMs?: number;
  /**
   * How long a job waits while its provider is blocked by an account/configuration error, in ms.
   * @defaultValue 300000
   */
  blockedRetryMs?: number;
  /**
   * Queue-depth gauge refresh, in ms; one process at a time collects; 0 turns it off.
   * @defaultValue 15000
   */
  queueDepthIntervalMs?: number;
  /**
   * Clock in epoch ms, for tests.
   * @defaultValue `Date.now`
   */
  nowMs?: () => number;
}

/** One queue shard a worker process consumes (docs/architecture.md#shards). */
export interface WorkerShard {
  /** Metric label: the shard number, or the hash tag of an older shard being drained. */
  label: string;
  prefix: string;
}

export interface Workers {
  /** The first shard's workers (with one shard, the only ones). */
  readonly workers: Partial<Record<Provider, Worker<unknown, DeliveryOutcome>>>;
  readonly queues: Partial<Record<Provider, Queue>>;
  /** Every (shard, provider) worker of this process. */
  readonly all: readonly { shard: WorkerShard; provider: Provider; worker: Worker<unknown, DeliveryOutcome>; queue: Queue }[];
  /**
   * Graceful stop (docs/architecture.md#shutdown-and-crashes): stop taking jobs, send open batches now, let in-flight
   * requests finish, and give up waiting after `timeoutMs` (jobs still held then are released by
   * their lock expiring and are taken over by another worker: nothing is lost).
   */
  close(timeoutMs: number): Promise<void>;
}

/** Times a job may be taken over from a dead or stuck worker before it fails as `stalled`. */
export const MAX_STALLED_COUNT = 10;

/** While a backlog drains, a batch waits at most this many lingers to fill. */
export const BACKLOG_LINGER_FACTOR = 10;

/** How long a `drained` report may take to follow a job before a lone job counts as a backlog (BacklogSignal). */
const BACKLOG_GRACE_MS = 20;

/** How far above the normal job flow the limiter ceiling sits: it only exists so `queue.rateLimit` is honoured. */
const LIMITER_CEILING = 1_000_000_000;

/**
 * One BullMQ worker per enabled provider queue and shard. Each job is opened (validated, unsealed in memory),
 * checked for expiry, handed to its provider's batcher, and settled from its own result.
 */
export function createWorkers(deps: WorkerDeps): Workers {
  const prefix = deps.prefix ?? QUEUE_PREFIX;
  const nowMs = deps.nowMs ?? Date.now;
  const block = new ProviderBlock(deps.metrics);
  // Jobs inside each provider's processor: a worker holding its concurrency of them fetches no more.
  const held: Record<Provider, number> = { meta: 0, google: 0 };
  // Google has its own: a 2,000-event request needs a worker that may hold 2,000 jobs (docs/decisions.md#per-provider-worker-concurrency).
  const concurrency: Record<Provider, number> = { meta: deps.concurrency, google: deps.googleConcurrency ?? deps.concurrency };
  // One per shard worker: a provider's source is dry when every shard it consumes ran dry.
  const sources: Record<Provider, BacklogSignal[]> = { meta: [], google: [] };
  const limitedUntil: Record<Provider, number> = { meta: 0, google: 0 };
  // A draining backlog may hold a batch up to 10 lingers so it leaves full (Batcher); live traffic keeps the plain linger.
  const settings = (provider: Provider) => ({
    lingerMs: deps.batchLingerMs,
    maxLingerMs: BACKLOG_LINGER_FACTOR * deps.batchLingerMs,
    canGrow: () => held[provider] < concurrency[provider],
    backlog: () => sources[provider].some((source) => source.backlog),
  });
  const dispatchers: Dispatcher[] = [];
  if (deps.meta) dispatchers.push(createMetaDispatcher(deps.meta.client, { ...settings('meta'), maxSize: deps.meta.batchMax }, deps.logger));
  if (deps.dataManager) {
    dispatchers.push(createDataManagerDispatcher(deps.dataManager, { ...settings('google'), maxSize: deps.dataManager.batchMax }, deps.logger, deps.metrics, nowMs));
  } else if (deps.google) {
    const { client, customerId, timeZone, batchMax } = deps.google;
    dispatchers.push(createGoogleDispatcher(client, { customerId, timeZone }, { ...settings('google'), maxSize: batchMax }, deps.logger));
  }

  const shards = deps.shards ?? [{ label: '0', prefix }];
  // Each BullMQ worker holds at most its share of the provider's concurrency (WORKER_CONCURRENCY,
  // GOOGLE_WORKER_CONCURRENCY), so a process consuming many shards does not hold many times the jobs
  // (memory); the provider's one batcher still fills from every shard at once.
  const shardConcurrency = (provider: Provider) => Math.max(1, Math.ceil(concurrency[provider] / shards.length));
  const all: { shard: WorkerShard; provider: Provider; worker: Worker<unknown, DeliveryOutcome>; queue: Queue }[] = [];
  const providerQueues: Record<Provider, Queue[]> = { meta: [], google: [] };
  for (const shard of shards) {
    for (const dispatcher of dispatchers) {
      const { provider } = dispatcher;
      const queue = new Queue(QUEUE_NAMES[provider], { connection: deps.connection, prefix: shard.prefix });
      queue.on('error', (error) => { deps.logger.warn({ provider, shard: shard.label, error: error.name }, 'queue connection error'); });
      providerQueues[provider].push(queue);
      const source = new BacklogSignal({ graceMs: Math.min(BACKLOG_GRACE_MS, deps.batchLingerMs / 2) });
      sources[provider].push(source);
      all.push({ shard, provider, queue, worker: startShardWorker(provider, dispatcher, shard, queue, source) });
    }
  }

  function startShardWorker(provider: Provider, dispatcher: Dispatcher, shard: WorkerShard, queue: Queue, source: BacklogSignal): Worker<unknown, DeliveryOutcome> {
    const context: SettleContext = {
      provider, metrics: deps.metrics, block, backoff: deps.retry, nowMs,
      blockedRetryMs: deps.blockedRetryMs ?? 300_000,
      // Every job of a throttled batch asks; one Redis write per throttle and shard is enough. The
      // throttle is the provider's, so every shard of it pauses.
      rateLimit: async (ms) => {
        const until = nowMs() + ms;
        if (until <= limitedUntil[provider]) return;
        limitedUntil[provider] = until;
        await Promise.all(providerQueues[provider].map((shardQueue) => shardQueue.rateLimit(ms)));
        deps.logger.warn({ provider, waitMs: ms }, 'provider throttled; queue paused');
      },
    };

    const processor = async (job: Job<unknown, DeliveryOutcome>, token?: string): Promise<DeliveryOutcome> => {
      held[provider] += 1;
      source.fetched(job.processedOn);
      try {
        let opened: OpenedJob;
        try {
          opened = openJobData(job.data, deps.keyring);
          if (opened.provider !== provider) throw new InvalidJobError('invalid_job', 'job is on the wrong queue');
        } catch (error) {
          if (!(error instanceof InvalidJobError)) throw error;
          return await settle(job, token, { kind: 'error', error: new PermanentError({ reason: error.reason }) }, 0, Infinity, context);
        }
        const expiresAtMs = dispatcher.expiresAtMs(opened);
        const now = nowMs();
        const result = now > expiresAtMs
          ? { kind: 'error' as const, error: new PermanentError({ reason: 'expired' }) }
          : await dispatcher.deliver(opened, now);
        // The common case settles without another promise; everything else may wait on Redis.
        if (result.kind === 'sent') return settleSent(job, result, opened.ingestedAt, context);
        return await settle(job, token, result, opened.ingestedAt, expiresAtMs, context);
      } finally {
        held[provider] -= 1;
      }
    };

    const worker = new Worker<unknown, DeliveryOutcome>(QUEUE_NAMES[provider], processor, {
      connection: deps.connection,
      prefix: shard.prefix,
      concurrency: shardConcurrency(provider),
      lockDuration: deps.lockDurationMs ?? 30_000,
      stalledInterval: deps.stalledIntervalMs ?? 30_000,
      // A worker's death stalls every job it held, nearly all of them innocent; with 3 the reliability
      // suite (5 SIGKILLs in 20 s) dead-lettered events whose holders kept dying during recovery
      // bursts. 10 lets a pool survive repeated crashes without losing events to the DLQ, while a
      // job that kills every worker taking it still ends there after 10 deaths.
      maxStalledCount: MAX_STALLED_COUNT,
      limiter: { max: LIMITER_CEILING, duration: 1000 },
      // Jobs no longer carry their retention; a job written before does, and BullMQ prefers it.
      ...retentionOptions(deps.retention ?? DEFAULT_RETENTION),
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
          backoffDelayMs(attemptsMade, deps.retry, error instanceof RetryableError ? error.retryAfterMs : undefined),
      },
    });
    worker.on('error', (error) => { deps.logger.warn({ provider, shard: shard.label, error: error.name }, 'worker error'); });
    worker.on('drained', () => {
      source.drained();
      // The batch may leave early only when every shard of the provider ran dry.
      if (sources[provider].every((each) => each.dry)) dispatcher.noteDrained();
    });
    worker.on('failed', (job) => {
      // Jobs failed by BullMQ itself, not by settle (which counts its own): a job that stalled more
      // than MAX_STALLED_COUNT times carries BullMQ's deferred failure, and the next worker that
      // takes it fails it without running the processor.
      if (job?.deferredFailure) deps.metrics.dispatchEvents.inc({ provider, outcome: 'failed' });
    });
    return worker;
  }
  const first = shards[0];
  const workers: Partial<Record<Provider, Worker<unknown, DeliveryOutcome>>> = Object.fromEntries(
    all.filter((entry) => entry.shard === first).map((entry) => [entry.provider, entry.worker]));
  const queues: Partial<Record<Provider, Queue>> = Object.fromEntries(all.filter((entry) => entry.shard === first).map((entry) => [entry.provider, entry.queue]));

  const collector = startQueueDepthCollector({
    connection: deps.connection, prefix, queues: all.map(({ shard, queue }) => ({ shard: shard.label, queue })),
    metrics: deps.metrics, intervalMs: deps.queueDepthIntervalMs ?? 15_000, id: randomUUID(),
  });

  let closing: Promise<void> | undefined;
  return {
    workers,
    queues,
    all,
    close(timeoutMs) {
      closing ??= (async () => {
        collector.stop();
        const running = all.map((entry) => entry.worker);
        const stopped = Promise.all(running.map((worker) => worker.close()));
        await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          stopped.then(() => false),
          new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(true); }, timeoutMs); }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          deps.logger.warn({ timeoutMs }, 'shutdown timeout: releasing jobs still in flight');
          await Promise.all(running.map((worker) => worker.close(true)));
        }
        await Promise.all(all.map((entry) => entry.queue.close()));
      })();
      return closing;
    },
  };
}
