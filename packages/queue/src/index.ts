export { BACKOFF_TYPE, JOB_NAME, QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';
export {
  JOB_SCHEMA_VERSION, jobDataSchema, type DataManagerJobData, type GoogleJobData, type JobData, type JobDataV3, type LegacyJobData, type MetaJobData,
} from './job-schema.js';
export { fromJobDigests, toJobDigests, type DataManagerJobDigests } from './dm-digests.js';
export { jobIdFor } from './job-id.js';
export { InvalidJobError, openJobData, sealingContext, summarizeJobData, toJobData, type InvalidJobReason, type JobSummary, type OpenedJob } from './job-data.js';
export { DEFAULT_RETENTION, jobOptions, retentionOptions, type JobPolicy } from './job-options.js';
export { backoffDelayMs, type BackoffPolicy } from './backoff.js';
export { checkEvictionPolicy, createRedisConnection, type ConnectionOptions, type ConnectionRole, type RedisConnection } from './connection.js';
export { OutcomeEvents, type OutcomeEventsOptions } from './outcome-events.js';
export { watchRedis, type RedisWatcherLogger, type RedisWatcherOptions } from './redis-watcher.js';
export { Producer, QueueUnavailableError, type EnqueueItem, type EnqueuedJob, type ProducerOptions } from './producer.js';
export {
  FINAL_STATES, formatFailure, parseFailure, type DeliveryFailure, type DeliveryOutcome, type DeliveryState, type DeliveryStatus,
} from './outcome.js';
export {
  readDeliveryStatus,
  readEventStatus,
  readStatuses,
  waitForOutcomes,
  type DeliveryTarget,
  type ProviderQueues,
  type ShardedQueues,
  type WaitOptions,
  type WaitResult,
} from './status.js';
export {
  QuotaUnavailableError, createRequestQuota, pacificDay, quotaKeys, type RequestPermits, type RequestQuota, type RequestQuotaOptions,
} from './request-quota.js';
export {
  DEFAULT_CLAIM_LEASE_MS, RECORD_TTL_MS, createRequestRecords, eventDigest, overallStatus, type DestinationVerdict, type RequestDiagnostics,
  type RequestRecordInfo, type RequestRecordInput, type RequestRecords, type RequestRecordsOptions, type RequestResult,
} from './request-records.js';
export { readRequestDiagnostics, withRequestDiagnostics } from './event-diagnostics.js';
export {
  CLUSTER_SLOTS, MAX_QUEUE_SHARDS, isShardPrefixOf, keySlot, shardOfEvent, shardOfJobId, shardPrefixes,
} from './shards.js';
export { discoverQueues, discoverShardPrefixes, type QueueRef } from './discover.js';
export { isSlotMovingError, retryWhileSlotsMove, type SlotRetryOptions } from './slot-retry.js';
export { ShardQueues, type QueueShard, type ShardProviderQueues, type ShardQueuesOptions } from './shard-queues.js';
