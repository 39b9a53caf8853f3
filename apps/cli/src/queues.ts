import { ShardQueues, createRedisConnection, type QueueShard, type RedisConnection, type ShardProviderQueues } from '@capconnect/queue';
import { QUEUE_PREFIX } from '@capconnect/queue';

/**
 * Read/repair access to the delivery queues for operator commands: every shard of the current
 * `QUEUE_SHARDS`, plus any shard an earlier count left in Redis (docs/architecture.md#shards), so
 * `stats`, `failed` and `replay` see every job wherever it was routed.
 */
export interface OpsQueues {
  /** Every shard, current first, then older ones found in Redis. */
  shards: readonly QueueShard[];
  /** The first shard's queues: with one shard (the default), the only ones. */
  queues: ShardProviderQueues;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export interface OpenQueuesOptions {
  prefix?: string;
  /** `QUEUE_SHARDS` (default 1); older shards are discovered whatever it says. */
  shards?: number;
  timeoutMs?: number;
}

/**
 * Opens the queues at `redisUrl`. Fails within `timeoutMs` with RedisUnavailableError when Redis
 * does not answer, so a script gets a clear exit code instead of a hang.
 */
export async function openQueues(redisUrl: string, options: OpenQueuesOptions = {}): Promise<OpsQueues> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const connection: RedisConnection = createRedisConnection(redisUrl, 'producer', { commandTimeoutMs: timeoutMs, connectionName: 'capconnect-cli' });
  connection.on('error', () => undefined);
  try {
    await Promise.race([
      new Promise<void>((resolve) => { if (connection.status === 'ready') resolve(); else connection.once('ready', () => { resolve(); }); }),
      new Promise<never>((_, reject) => setTimeout(() => { reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)); }, timeoutMs)),
    ]);
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  const all = new ShardQueues({ connection, prefix: options.prefix ?? QUEUE_PREFIX, count: options.shards ?? 1 });
  await all.discover();
  const shards = all.all();
  const [first] = shards;
  if (!first) throw new RangeError('no queue shard');
  return {
    shards,
    queues: first.queues,
    async close() {
      await all.close();
      connection.disconnect();
    },
  };
}
