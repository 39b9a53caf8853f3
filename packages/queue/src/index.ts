export { BACKOFF_TYPE, JOB_NAME, QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
export { jobDataSchema, type GoogleJobData, type JobData, type MetaJobData } from './job-schema.js';
export { jobIdFor } from './job-id.js';
export { InvalidJobError, openJobData, sealingContext, toJobData, type InvalidJobReason, type OpenedJob } from './job-data.js';
export { jobOptions, type JobPolicy } from './job-options.js';
export { backoffDelayMs, type BackoffPolicy } from './backoff.js';
export { checkEvictionPolicy, createRedisConnection, type ConnectionOptions, type ConnectionRole, type RedisConnection } from './connection.js';
export { watchRedis, type RedisWatcherLogger, type RedisWatcherOptions } from './redis-watcher.js';
export { Producer, QueueUnavailableError, type EnqueueItem, type EnqueuedJob, type ProducerOptions } from './producer.js';
export {
  FINAL_STATES, formatFailure, parseFailure, type DeliveryFailure, type DeliveryOutcome, type DeliveryState, type DeliveryStatus,
} from './outcome.js';
export {
  readDeliveryStatus,
  readEventStatus,
  waitForOutcomes,
  type DeliveryTarget,
  type ProviderQueues,
  type WaitOptions,
  type WaitResult,
} from './status.js';
export {
  CLUSTER_SLOTS, MAX_QUEUE_SHARDS, isShardPrefixOf, keySlot, shardOfEvent, shardPrefixes,
} from './shards.js';
export { discoverQueues, discoverShardPrefixes, type QueueRef } from './discover.js';
export { isSlotMovingError, retryWhileSlotsMove, type SlotRetryOptions } from './slot-retry.js';
export { ShardQueues, type QueueShard, type ShardProviderQueues, type ShardQueuesOptions } from './shard-queues.js';
