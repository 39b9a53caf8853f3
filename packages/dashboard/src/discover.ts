// Queue discovery lives in @capconnect/queue, where the workers use it to drain shards outside
// QUEUE_SHARDS (docs/architecture.md#changing-the-shard-count); the dashboard shows what it finds.
export { discoverQueues, type QueueRef } from '@capconnect/queue';
