import type { DataManagerMatchFields, GoogleMatchFields, Keyring, MetaMatchFields, PreparedEvent, Provider } from '@capconnect/core';
import { fromJobDigests, toJobDigests } from './dm-digests.js';
import { JOB_SCHEMA_VERSION, isJobData, jobDataSchema, type JobData } from './job-schema.js';

/** Job data from a prepared event (sealing its match fields) and back (validating and unsealing, in memory only). */

/** A prepared event opened from a job, with the time it was ingested. */
export type OpenedJob = PreparedEvent & { ingestedAt: number };

/** Why a job cannot be delivered: its data breaks the schema (or sits on the wrong queue), or its sealed part does not open. */
export type InvalidJobReason = 'invalid_job' | 'unsealable';

/** The job data failed validation or its sealed part did not open. Carries no job content. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
  constructor(readonly reason: InvalidJobReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Associated data for sealing: a sealed blob opens only inside the job it was made for. */
export function sealingContext(provider: Provider, eventId: string): string {
  return `${provider}:${eventId}`;
}

function hasAny(fields: object): boolean {
  return Object.values(fields).some((value) => value !== undefined);
}

/** Turns a prepared event into job data: match fields are sealed, nothing personal stays plain. */
export function toJobData(prepared: PreparedEvent, keyring: Keyring, ingestedAt: number): JobData {
  const context = sealingContext(prepared.provider, prepared.event.eventId);
  const sealed = hasAny(prepared.match) ? keyring.seal(JSON.stringify(prepared.match), context) : undefined;
  const v = JOB_SCHEMA_VERSION;
  if (prepared.provider === 'meta') {
    return {
      v,
      provider: 'meta',
      event: prepared.event,
      userData: prepared.userData,
      ingestedAt,
      ...(prepared.dataProcessing && { dataProcessing: prepared.dataProcessing }),
      ...(sealed !== undefined && { sealed }),
    };
  }
  if (prepared.api === 'data-manager') {
    return {
      v,
      provider: 'google',
      api: 'data-manager',
      event: prepared.event,
      mode: prepared.mode,
      conversionActionId: prepared.conversionActionId,
      eventSource: prepared.eventSource,
      transactionId: prepared.transactionId,
      digests: toJobDigests(prepared.digests),
      ingestedAt,
      ...(prepared.consent && { consent: prepared.consent }),
      ...(sealed !== undefined && { sealed }),
    };
  }
  return {
    v,
    provider: 'google',
    api: 'ads-api',
    event: prepared.event,
    mode: prepared.mode,
    conversionActionId: prepared.conversionActionId,
    digests: prepared.digests,
    ingestedAt,
    ...(prepared.adUserDataConsent && { adUserDataConsent: prepared.adUserDataConsent }),
    ...(sealed !== undefined && { sealed }),
  };
}

/** zod's verdict on data the fast check refused: the job as zod reads it, or an error naming paths only. */
function validJobData(data: unknown): JobData {
  const parsed = jobDataSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ');
  throw new InvalidJobError('invalid_job', `job data does not match schema v${JOB_SCHEMA_VERSION} (or v1) at: ${paths || '(root)'}`);
}

/** Validates job data and unseals its match fields, in memory only. */
export function openJobData(data: unknown, keyring: Keyring): OpenedJob {
  const job = isJobData(data) ? data : validJobData(data);
  let match: unknown = {};
  if (job.sealed !== undefined) {
    try {
      match = JSON.parse(keyring.unseal(job.sealed, sealingContext(job.provider, job.event.eventId)));
    } catch (error) {
      throw new InvalidJobError('unsealable', 'sealed match fields could not be opened', { cause: error });
    }
    // It opened, so it was sealed with our key; but a producer bug (or a key holder) could have
    // sealed `null` or an array, which would otherwise fail later as a TypeError and be retried.
    if (typeof match !== 'object' || match === null || Array.isArray(match)) {
      throw new InvalidJobError('invalid_job', 'sealed match fields are not an object');
    }
  }
  if (job.provider === 'meta') {
    return {
      provider: 'meta',
      event: job.event,
      userData: job.userData,
      match: match as MetaMatchFields,
      ingestedAt: job.ingestedAt,
      ...(job.dataProcessing && { dataProcessing: { options: ['LDU'], country: job.dataProcessing.country, state: job.dataProcessing.state } }),
    };
  }
  if ('api' in job && job.api === 'data-manager') {
    return {
      provider: 'google',
      api: 'data-manager',
      event: job.event,
      mode: job.mode,
      conversionActionId: job.conversionActionId,
      eventSource: job.eventSource,
      transactionId: job.transactionId,
      digests: fromJobDigests(job.digests),
      match: match as DataManagerMatchFields,
      ingestedAt: job.ingestedAt,
      ...(job.consent && { consent: job.consent }),
    };
  }
  // v1 jobs and v2 `ads-api` jobs: a Google Ads API conversion (an absent `api` means ads-api).
  return {
    provider: 'google',
    event: job.event,
    mode: job.mode,
    conversionActionId: job.conversionActionId,
    digests: job.digests,
    match: match as GoogleMatchFields,
    ingestedAt: job.ingestedAt,
    ...(job.adUserDataConsent && { adUserDataConsent: job.adUserDataConsent }),
  };
}
