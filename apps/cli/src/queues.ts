import { PROVIDERS, type Provider } from '@capconnect/core';
import { QUEUE_NAMES, QUEUE_PREFIX, createRedisConnection, type JobData, type RedisConnection } from '@capconnect/queue';
import { Queue } from 'bullmq';

/** Read/repair access to the delivery queues for operator commands. */
export interface OpsQueues {
  queues: Record<Provider, Queue<JobData>>;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/**
 * Opens the queues at `redisUrl`. Fails within `timeoutMs` with RedisUnavailableError when Redis
 * does not answer, so a script gets a clear exit code instead of a hang.
 */
export async function openQueues(redisUrl: string, prefix = QUEUE_PREFIX, timeoutMs = 3000): Promise<OpsQueues> {
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
  const make = (provider: Provider) => new Queue<JobData>(QUEUE_NAMES[provider], { connection, prefix });
  const queues = { meta: make('meta'), google: make('google') };
  return {
    queues,
    async close() {
      await Promise.all(PROVIDERS.map((provider) => queues[provider].close()));
      connection.disconnect();
    },
  };
}
