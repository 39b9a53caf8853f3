import { createKeyring, generateKeyText } from '@capconnect/core';
import { HttpClient, MetaClient } from '@capconnect/providers';
import { JOB_NAME, jobOptions, parseFailure, sealingContext, toJobData, type JobData } from '@capconnect/queue';
import { SANDBOX_DEFAULTS } from '@capconnect/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { googleEvent, metaEvent, startHarness, type Harness } from './test/harness.js';

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

const POLICY = { maxAttempts: 1, completedRetentionS: 600, failedRetentionS: 600 };

/** Adds raw job data to a queue, as a producer with another key or a bug might. */
async function addRaw(h: Harness, provider: 'meta' | 'google', eventId: string, data: unknown): Promise<void> {
  await h.producer.queues[provider].add(JOB_NAME, data as JobData, jobOptions(provider, eventId, POLICY));
}

async function failureCodes(h: Harness, provider: 'meta' | 'google', total: number): Promise<Record<string, string>> {
  await h.waitFor(async () => ((await h.counts(provider))['failed'] ?? 0) >= total);
  const failed = await h.producer.queues[provider].getJobs(['failed']);
  return Object.fromEntries(failed.map((job) => [job.id ?? '', parseFailure(job.failedReason).code]));
}

describe('jobs that cannot be delivered fail with a reason chosen by error type', () => {
  it('schema failures are invalid_job (even at the field `sealed`), blobs that do not open are unsealable', async () => {
    const h = harness = await startHarness();
    const otherKeyring = createKeyring(generateKeyText());
    const valid = toJobData(metaEvent('bad-sealed-type'), otherKeyring, Date.now());
    await addRaw(h, 'meta', 'bad-sealed-type', { ...valid, sealed: 42 });
    await addRaw(h, 'meta', 'foreign-key', toJobData(metaEvent('foreign-key'), otherKeyring, Date.now()));
    await addRaw(h, 'meta', 'wrong-queue', toJobData(googleEvent('wrong-queue', { match: {} }), otherKeyring, Date.now()));
    // Sealed with the right key, but the plaintext is `null`: once a TypeError retried until the budget ran out.
    const nullSealed = toJobData(metaEvent('null-sealed'), h.keyring, Date.now());
    await addRaw(h, 'meta', 'null-sealed', { ...nullSealed, sealed: h.keyring.seal('null', sealingContext('meta', 'null-sealed')) });
    const codes = await failureCodes(h, 'meta', 4);
    expect(codes).toEqual({
      [jobOptions('meta', 'bad-sealed-type', POLICY).jobId!]: 'invalid_job',
      [jobOptions('meta', 'foreign-key', POLICY).jobId!]: 'unsealable',
      [jobOptions('meta', 'wrong-queue', POLICY).jobId!]: 'invalid_job',
      [jobOptions('meta', 'null-sealed', POLICY).jobId!]: 'invalid_job',
    });
    expect(h.sandbox.control.stats('meta').requests).toBe(0);
    // Counted under their own codes, not `other`.
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'invalid_job' })).toBe(3);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'unsealable' })).toBe(1);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'meta', code: 'other' })).toBe(0);
  });
});

describe('an unexpected error while sending a batch', () => {
  it('is logged by error name and code only, and every event of the batch gets `internal`', async () => {
    const h = harness = await startHarness({ maxAttempts: 1 });
    await h.workers.close(2000);
    const http = new HttpClient({ timeoutMs: 2000 });
    // A request observer that throws is a bug in our own code, not a provider answer.
    const observerBug = Object.assign(new Error('observer failed on canary-secret@example.com'), { code: 'E_OBSERVER' });
    h.startWorkers({
      meta: {
        batchMax: 10,
        client: new MetaClient({
          http, apiBaseUrl: h.sandbox.metaBaseUrl, apiVersion: SANDBOX_DEFAULTS.meta.apiVersion, pixelId: SANDBOX_DEFAULTS.meta.pixelId,
          accessToken: SANDBOX_DEFAULTS.meta.accessToken, onRequest: () => { throw observerBug; },
        }),
      },
    });
    try {
      await h.enqueue([metaEvent('bug-1'), metaEvent('bug-2')]);
      const codes = await failureCodes(h, 'meta', 2);
      expect(Object.values(codes)).toEqual(['internal', 'internal']);
      const lines = h.logLines.filter((line) => line.includes('batch send failed unexpectedly'));
      expect(lines.length).toBeGreaterThan(0);
      expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', provider: 'meta', errorName: 'Error', code: 'E_OBSERVER' });
      expect(h.logLines.join('\n')).not.toContain('canary-secret');
    } finally {
      await http.close();
    }
  });
});
