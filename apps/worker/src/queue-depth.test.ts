import { createKeyring, generateKeyText } from '@capconnect/core';
import { Producer, createRedisConnection } from '@capconnect/queue';
import { createMetrics } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startQueueDepthCollector } from './queue-depth.js';
import { metaEvent } from './test/harness.js';

describe('queue depth collector', () => {
  it('lets one process at a time fill capconnect_queue_jobs; the others report nothing', async () => {
    const prefix = freshPrefix();
    const connection = createRedisConnection(testRedisUrl(), 'worker');
    const producerConnection = createRedisConnection(testRedisUrl(), 'producer');
    const producer = new Producer({ connection: producerConnection, prefix, keyring: createKeyring(generateKeyText()), policy: { maxAttempts: 1, completedRetentionS: 60, failedRetentionS: 60 } });
    try {
      await producer.enqueue([1, 2, 3].map((i) => ({ eventId: `depth-${i}`, prepared: [metaEvent(`depth-${i}`)] })));
      const processes = ['a', 'b'].map((id) => {
        const metrics = createMetrics(new Registry(), { defaultMetrics: false });
        const collector = startQueueDepthCollector({ connection, prefix, queues: { meta: producer.queues.meta }, metrics, intervalMs: 0, id });
        return { metrics, collector };
      });
      for (const { collector } of processes) await collector.collect();
      const values = await Promise.all(processes.map(async ({ metrics }) => (await metrics.queueJobs.get()).values));
      expect(values[0]).toContainEqual(expect.objectContaining({ labels: { queue: 'meta', state: 'waiting' }, value: 3 }));
      expect(values[1]).toEqual([]);
    } finally {
      await producer.close();
      producerConnection.disconnect();
      connection.disconnect();
    }
  });
});
