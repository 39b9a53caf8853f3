export {
  BACKOFF_TYPE,
  InvalidJobError,
  JOB_NAME,
  QUEUE_NAMES,
  QUEUE_PREFIX,
  jobDataSchema,
  jobIdFor,
  jobOptions,
  openJobData,
  sealingContext,
  toJobData,
  type GoogleJobData,
  type JobData,
  type JobPolicy,
  type MetaJobData,
  type OpenedJob,
} from './catalogue.js';
export { backoffDelayMs, type BackoffPolicy } from './backoff.js';
export { checkEvictionPolicy, createRedisConnection, type ConnectionOptions, type ConnectionRole, type RedisConnection } from './connection.js';
export { Producer, QueueUnavailableError, type EnqueueItem, type EnqueuedJob, type ProducerOptions } from './producer.js';
export { formatFailure, parseFailure, type DeliveryFailure, type DeliveryOutcome } from './outcome.js';
export {
  FINAL_STATES,
  readDeliveryStatus,
  readEventStatus,
  waitForOutcomes,
  type DeliveryState,
  type DeliveryStatus,
  type DeliveryTarget,
  type ProviderQueues,
  type WaitOptions,
  type WaitResult,
} from './status.js';
