import { describe, expect, it } from 'vitest';
import { jobIdFor } from './job-id.js';
import { jobOptions } from './job-options.js';

describe('jobOptions', () => {
  it('sets the id, attempts, backoff and retention of a delivery job', () => {
    expect(jobOptions('meta', 'e', { maxAttempts: 5, completedRetentionS: 10, failedRetentionS: 20 })).toEqual({
      jobId: jobIdFor('meta', 'e'), attempts: 5, backoff: { type: 'capconnect' }, removeOnComplete: { age: 10 }, removeOnFail: { age: 20 },
    });
  });
});
