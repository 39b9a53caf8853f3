import { JOB_NAME, jobOptions, type JobData } from '@capconnect/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { metaEvent, startHarness, type Harness } from './test/harness.js';

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

const POLICY = { maxAttempts: 1 };

/** Settles one delivered and one refused (invalid) job and says which of them BullMQ still holds. */
async function settleOneOfEach(h: Harness, tag: string): Promise<{ completedKept: boolean; failedKept: boolean; failedSet: string[] }> {
  const delivered = jobOptions('meta', `${tag}-sent`, POLICY).jobId ?? '';
  const refused = jobOptions('meta', `${tag}-bad`, POLICY).jobId ?? '';
  await h.enqueue([metaEvent(`${tag}-sent`)]);
  await h.producer.queues.meta.add(JOB_NAME, { v: 3 } as unknown as JobData, jobOptions('meta', `${tag}-bad`, POLICY));
  await h.waitFor(async () => await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'sent' }) === 1
    && await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'failed' }) === 1);
  const queue = h.producer.queues.meta;
  // BullMQ removes aged jobs inside the script that finishes a job, so the state is final once both are counted.
  await h.waitFor(async () => (await queue.getJobCounts('active'))['active'] === 0);
  return {
    completedKept: (await queue.getJob(delivered)) !== undefined,
    failedKept: (await queue.getJob(refused)) !== undefined,
    failedSet: (await queue.getFailed()).map((job) => job.id ?? ''),
  };
}

describe('retention comes from the worker options (jobs no longer carry it)', () => {
  it('removes a completed job after COMPLETED_RETENTION_S and keeps a failed one in the dead-letter set for FAILED_RETENTION_S', async () => {
    const h = harness = await startHarness({ deps: { retention: { completedRetentionS: 0, failedRetentionS: 3600 } } });
    const result = await settleOneOfEach(h, 'keep-failed');
    expect(result.completedKept).toBe(false);
    expect(result.failedKept).toBe(true);
    expect(result.failedSet).toEqual([jobOptions('meta', 'keep-failed-bad', POLICY).jobId]);
  });

  it('and the other way round: the failed retention is the worker\'s too', async () => {
    const h = harness = await startHarness({ deps: { retention: { completedRetentionS: 3600, failedRetentionS: 0 } } });
    const result = await settleOneOfEach(h, 'keep-sent');
    expect(result.completedKept).toBe(true);
    expect(result.failedKept).toBe(false);
    expect(result.failedSet).toEqual([]);
  });

  it('a job written with its own retention (schema v2 and before) keeps it: BullMQ prefers the job\'s', async () => {
    const h = harness = await startHarness({ deps: { retention: { completedRetentionS: 0, failedRetentionS: 0 } } });
    const event = metaEvent('own-retention');
    await h.workers.close(2000);
    await h.producer.enqueue([{ eventId: event.event.eventId, prepared: [event] }]);
    const jobId = jobOptions('meta', 'own-retention', POLICY).jobId ?? '';
    const job = await h.producer.queues.meta.getJob(jobId);
    // As a v2 api wrote it: the same job, with the retention in its options.
    await job?.remove();
    await h.producer.queues.meta.add(JOB_NAME, job?.data as JobData, { ...jobOptions('meta', 'own-retention', POLICY), removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
    h.startWorkers({ retention: { completedRetentionS: 0, failedRetentionS: 0 } });
    await h.waitFor(async () => await h.metric('capconnect_dispatch_events_total', { provider: 'meta', outcome: 'sent' }) === 1);
    await h.waitFor(async () => (await h.producer.queues.meta.getJobCounts('active'))['active'] === 0);
    expect(await h.producer.queues.meta.getJobState(jobId)).toBe('completed');
  });
});
