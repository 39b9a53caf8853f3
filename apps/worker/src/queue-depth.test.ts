import { createKeyring, generateKeyText } from '@capconnect/core';
import { Producer, createRedisConnection } from '@capconnect/queue';
import { createMetrics } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startQueueDepthCollector } from './queue-depth.js';
import { metaEvent } from './test/harness.js';

describe('queue depth collector', () => {
  it('lets one process at a time fill capconnect_queue_jobs, one series per shard; the others report nothing', async () => {
    const prefix = freshPrefix();
    const connection = createRedisConnection(testRedisUrl(), 'worker');
    const producerConnection = createRedisConnection(testRedisUrl(), 'producer');
    const producer = new Producer({ connection: producerConnection, prefix, shards: 2, keyring: createKeyring(generateKeyText()), policy: { maxAttempts: 1, completedRetentionS: 60, failedRetentionS: 60 } });
    try {
      await producer.enqueue([1, 2, 3].map((i) => ({ eventId: `depth-${i}`, prepared: [metaEvent(`depth-${i}`)] })));
      const processes = ['a', 'b'].map((id) => {
        const metrics = createMetrics(new Registry(), { defaultMetrics: false });
        const queues = producer.shards.shards().map((shard) => ({ shard: shard.label, queue: shard.queues.meta }));
        const collector = startQueueDepthCollector({ connection, prefix, queues, metrics, intervalMs: 0, id });
        return { metrics, collector };
      });
      for (const { collector } of processes) await collector.collect();
      const values = await Promise.all(processes.map(async ({ metrics }) => (await metrics.queueJobs.get()).values));
      // One series per shard; summed, they count every job once.
      const waiting = (values[0] ?? []).filter((sample) => sample.labels.state === 'waiting');
      expect(waiting.map((sample) => sample.labels.shard).sort()).toEqual(['0', '1']);
      expect(waiting.reduce((sum, sample) => sum + sample.value, 0)).toBe(3);
      expect(values[1]).toEqual([]);
    } finally {
      await producer.close();
      producerConnection.disconnect();
      connection.disconnect();
    }
  });
});
