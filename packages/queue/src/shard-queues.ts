import { PROVIDERS, type Provider } from '@capconnect/core';
import { Queue } from 'bullmq';
import type { RedisConnection } from './connection.js';
import { discoverShardPrefixes } from './discover.js';
import type { JobData } from './job-schema.js';
import { QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
import { shardOfEvent, shardOfJobId, shardPrefixes } from './shards.js';
import type { DeliveryTarget, ShardedQueues } from './status.js';

/** The delivery queues of one shard, keyed by provider. */
export type ShardProviderQueues = Readonly<Record<Provider, Queue<JobData>>>;

/** One shard's queues and how to name it. */
export interface QueueShard {
  /** Position in the current `QUEUE_SHARDS` list; undefined for an older shard still in Redis. */
  index: number | undefined;
  prefix: string;
  /** Bounded metric label: the index for a current shard, the hash tag for an older one. */
  label: string;
  queues: ShardProviderQueues;
}

export interface ShardQueuesOptions {
  connection: RedisConnection;
  /**
   * Base BullMQ key prefix; shard prefixes derive from it.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * Queue shards per provider (`QUEUE_SHARDS`).
   * @defaultValue 1
   */
  count?: number;
}

/**
 * BullMQ queues of every shard on one connection (docs/architecture.md#shards): the current
 * `QUEUE_SHARDS` ones, which new events go to, plus any older shard found in Redis after the count
 * changed, which readers still look at. Queue objects without workers are cheap: they share the
 * connection and hold no blocking client.
 */
export class ShardQueues implements ShardedQueues {
  readonly prefix: string;
  readonly count: number;
  private readonly connection: RedisConnection;
  private readonly current: QueueShard[];
  private readonly older = new Map<string, QueueShard>();

  constructor(options: ShardQueuesOptions) {
    this.connection = options.connection;
    this.prefix = options.prefix ?? QUEUE_PREFIX;
    this.count = options.count ?? 1;
    this.current = shardPrefixes(this.count, this.prefix).map((prefix, index) => this.open(index, prefix));
  }

  /** The shard an event's jobs go to. */
  shardOf(eventId: string): QueueShard {
    const shard = this.current[shardOfEvent(eventId, this.count)];
    if (!shard) throw new RangeError('shard out of range');
    return shard;
  }

  /** The queue a job is on, from the event digest in its id. */
  queueFor(target: DeliveryTarget): Queue<JobData> {
    const shard = this.current[shardOfJobId(target.jobId, this.count)];
    if (!shard) throw new RangeError('shard out of range');
    return shard.queues[target.provider];
  }

  /** The job's queue in every older shard found by `discover()`. */
  olderQueuesFor(target: DeliveryTarget): Queue<JobData>[] {
    return this.olderShards().map((shard) => shard.queues[target.provider]);
  }

  /** The current shards, in index order. */
  shards(): readonly QueueShard[] {
    return this.current;
  }

  /** Current shards first, then older ones found by `discover()`. */
  all(): QueueShard[] {
    return [...this.current, ...this.older.values()];
  }

  /** Older shards found by the last `discover()`, e.g. for a status lookup that missed the current one. */
  olderShards(): QueueShard[] {
    return [...this.older.values()];
  }

  /**
   * Finds shard prefixes in Redis that the current count does not compute (written under another
   * `QUEUE_SHARDS`), and adds them to `all()`. Returns the older shards now known.
   */
  async discover(): Promise<QueueShard[]> {
    const mine = new Set(this.current.map((shard) => shard.prefix));
    for (const prefix of await discoverShardPrefixes(this.connection, this.prefix)) {
      if (!mine.has(prefix) && !this.older.has(prefix)) this.older.set(prefix, this.open(undefined, prefix));
    }
    return this.olderShards();
  }

  async close(): Promise<void> {
    await Promise.all(this.all().flatMap((shard) => Object.values(shard.queues).map((queue) => queue.close())));
  }

  private open(index: number | undefined, prefix: string): QueueShard {
    const make = (provider: Provider) => {
      const queue = new Queue<JobData>(QUEUE_NAMES[provider], { connection: this.connection, prefix });
      // Errors surface on the failing call; the queue's own error event only needs a listener.
      queue.on('error', () => undefined);
      return queue;
    };
    const queues = Object.fromEntries(PROVIDERS.map((provider) => [provider, make(provider)])) as Record<Provider, Queue<JobData>>;
    return { index, prefix, label: index === undefined ? prefix.slice(1, -1) : String(index), queues };
  }
}
