import type { Provider } from '@capconnect/core';
import type { JobsOptions } from 'bullmq';
import { jobIdFor } from './job-id.js';
import { BACKOFF_TYPE } from './queue-names.js';

/** Retention and retry settings the job options are built from. */
export interface JobPolicy {
  /** Attempts per job, the first delivery included. */
  maxAttempts: number;
  /** How long a completed job (and its outcome) stays readable, in seconds. */
  completedRetentionS: number;
  /** How long a failed job stays in the dead-letter queue, in seconds. */
  failedRetentionS: number;
}

/** BullMQ options for one delivery job. */
export function jobOptions(provider: Provider, eventId: string, policy: JobPolicy): JobsOptions {
  return {
    jobId: jobIdFor(provider, eventId),
    attempts: policy.maxAttempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: policy.completedRetentionS },
    removeOnFail: { age: policy.failedRetentionS },
  };
}
