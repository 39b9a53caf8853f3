import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job-id.js';
import { jobOptions, retentionOptions } from './job-options.js';

describe('jobOptions', () => {
  it('sets the id, attempts and backoff of a delivery job, and no retention (the workers apply it)', () => {
    expect(jobOptions('meta', 'e', { maxAttempts: 5 })).toEqual({ jobId: jobIdFor('meta', 'e'), attempts: 5, backoff: { type: 'capconnect' } });
  });

  it('retentionOptions: the worker removes completed jobs after the completed retention, failed ones after the failed retention', () => {
    expect(retentionOptions({ completedRetentionS: 10, failedRetentionS: 20 })).toEqual({ removeOnComplete: { age: 10 }, removeOnFail: { age: 20 } });
  });
});
