import type { RedisConnection } from '@capconnect/queue';
import type { Metrics } from '@capconnect/telemetry';
import type { Queue } from 'bullmq';

/**
 * Fills `capconnect_queue_jobs` from ONE process at a time (docs/decisions.md#metrics-on-their-own-port: queue depth from one
 * exporter, not every pod hammering Redis). Processes race for a short Redis lease each interval;
 * the holder reads `getJobCounts`, everyone else clears its gauge, so summing the series across
 * pods counts every job once.
 */

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export interface QueueDepthOptions {
  connection: RedisConnection;
  prefix: string;
  /** Every queue this process consumes, with its shard label (bounded: the shard count plus any older shard draining). */
  queues: readonly { shard: string; queue: Queue }[];
  metrics: Metrics;
  intervalMs: number;
  /** This process's lease holder id. */
  id: string;
}

export function startQueueDepthCollector(options: QueueDepthOptions): { stop(): void; collect(): Promise<void> } {
  const leaseKey = `${options.prefix}:queue-depth-collector`;
  const leaseMs = Math.max(options.intervalMs * 2, 1000);
  const collect = async () => {
    try {
      const acquired = await options.connection.set(leaseKey, options.id, 'PX', leaseMs, 'NX');
      const holder = acquired === 'OK' ? options.id : await options.connection.get(leaseKey);
      if (holder !== options.id) {
        options.metrics.queueJobs.reset();
        return;
      }
      await options.connection.pexpire(leaseKey, leaseMs);
      for (const { shard, queue } of options.queues) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) options.metrics.queueJobs.set({ queue: queue.name, shard, state }, counts[state] ?? 0);
      }
    } catch {
      // Redis hiccup: keep the last values; the next tick tries again.
    }
  };
  if (options.intervalMs <= 0) return { stop: () => undefined, collect };
  const timer = setInterval(() => { void collect(); }, options.intervalMs);
  timer.unref();
  void collect();
  return { stop: () => { clearInterval(timer); }, collect };
}
