import type { Provider } from '@capconnect/core';
import type { JobsOptions, KeepJobs } from 'bullmq';
import { jobIdFor } from './job-id.js';
import { BACKOFF_TYPE } from './queue-names.js';

/** Retention and retry settings the job options (attempts) and the workers' options (retention) are built from. */
export interface JobPolicy {
  /** Attempts per job, the first delivery included. */
  maxAttempts: number;
  /** How long a completed job (and its outcome) stays readable, in seconds. Applied by the workers (`retentionOptions`). */
  completedRetentionS: number;
  /** How long a failed job stays in the dead-letter queue, in seconds. Applied by the workers (`retentionOptions`). */
  failedRetentionS: number;
}

/** The configuration's defaults (`COMPLETED_RETENTION_S`, `FAILED_RETENTION_S`): one day, fourteen days. */
export const DEFAULT_RETENTION: Readonly<Pick<JobPolicy, 'completedRetentionS' | 'failedRetentionS'>> = {
  completedRetentionS: 86_400,
  failedRetentionS: 14 * 86_400,
};

/**
 * BullMQ options for one delivery job: its id, attempts and backoff. Retention is not here: every
 * job's options are stored in its Redis hash, so workers apply it instead (`retentionOptions`,
 * docs/decisions.md#retention-from-worker-options). Jobs written before carry their own, which
 * BullMQ prefers over the worker's.
 */
export function jobOptions(provider: Provider, eventId: string, policy: Pick<JobPolicy, 'maxAttempts'>): JobsOptions {
  return {
    jobId: jobIdFor(provider, eventId),
    attempts: policy.maxAttempts,
    backoff: { type: BACKOFF_TYPE },
  };
}

/**
 * BullMQ `Worker` options that remove finished jobs after their retention: a completed job after
 * `completedRetentionS`, a failed one (the dead-letter queue) after `failedRetentionS`. BullMQ
 * applies them when a job finishes on that worker, exactly as it applied the same values set per job.
 */
export function retentionOptions(retention: Pick<JobPolicy, 'completedRetentionS' | 'failedRetentionS'>): { removeOnComplete: KeepJobs; removeOnFail: KeepJobs } {
  return { removeOnComplete: { age: retention.completedRetentionS }, removeOnFail: { age: retention.failedRetentionS } };
}
