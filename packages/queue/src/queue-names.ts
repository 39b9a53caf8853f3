import type { Provider } from '@capconnect/core';

/**
 * Names the producer (api) and the consumer (worker) must agree on: the key prefix, the queues,
 * the job name and the backoff strategy.
 */

/** BullMQ key prefix. The braces are a Redis Cluster hash tag: every key of a queue shares a slot. */
export const QUEUE_PREFIX = '{capconnect}';

/** One queue per provider, so Meta and Google never wait for each other. */
export const QUEUE_NAMES: Readonly<Record<Provider, string>> = { meta: 'meta', google: 'google' };

/** Every job has this name; the queue says which provider it is for. */
export const JOB_NAME = 'deliver';

/** Custom backoff type name; workers register the strategy under it (backoff.ts). */
export const BACKOFF_TYPE = 'capconnect';
