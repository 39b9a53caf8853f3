/**
 * The dispatch baseline: a BullMQ worker that does nothing with each job, on the same
 * queue layout and Redis. Env: REDIS_URL, BENCH_PREFIX, BENCH_QUEUE, WORKER_CONCURRENCY.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const worker = new Worker(process.env.BENCH_QUEUE ?? 'meta', () => Promise.resolve(), {
  connection,
  prefix: process.env.BENCH_PREFIX ?? '{capconnect}',
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 1000),
  removeOnComplete: { count: 0 },
});
process.once('SIGTERM', () => {
  void worker.close().then(() => connection.quit()).then(() => process.exit(0));
});
