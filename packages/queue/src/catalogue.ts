import { createHash } from 'node:crypto';
import {
  ACTION_SOURCES,
  type Keyring,
  type GoogleMatchFields,
  type MetaMatchFields,
  type PreparedEvent,
  type Provider,
} from '@capconnect/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The job catalogue: queue names, the versioned job schema, and job options. The producer (api)
 * and the consumer (worker) both use this file, so a job can only carry what this schema allows:
 * digests, sealed match fields and non-personal event metadata.
 */

/** BullMQ key prefix. The braces are a Redis Cluster hash tag: every key of a queue shares a slot. */
export const QUEUE_PREFIX = '{capconnect}';

/** One queue per provider, so Meta and Google never wait for each other. */
export const QUEUE_NAMES: Readonly<Record<Provider, string>> = { meta: 'meta', google: 'google' };

/** Every job has this name; the queue says which provider it is for. */
export const JOB_NAME = 'deliver';

/** Custom backoff type name; workers register the strategy under it (backoff.ts). */
export const BACKOFF_TYPE = 'capconnect';

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const digestList = z.array(digest).min(1).max(10);

const eventMetadataSchema = z.strictObject({
  eventName: z.string().min(1).max(256),
  eventId: z.string().min(1).max(256),
  eventTime: z.number().int().nonnegative(),
  value: z.number().exactOptional(),
  currency: z.string().regex(/^[A-Z]{3}$/).exactOptional(),
  orderId: z.string().min(1).max(256).exactOptional(),
  actionSource: z.enum(ACTION_SOURCES),
  contents: z
    .array(z.strictObject({ id: z.string(), quantity: z.number().exactOptional(), itemPrice: z.number().exactOptional() }))
    .max(1000)
    .exactOptional(),
});

const metaJobSchema = z.strictObject({
  v: z.literal(1),
  provider: z.literal('meta'),
  event: eventMetadataSchema,
  userData: z.strictObject({
    em: digestList.exactOptional(), ph: digestList.exactOptional(), fn: digestList.exactOptional(), ln: digestList.exactOptional(),
    ge: digestList.exactOptional(), db: digestList.exactOptional(), ct: digestList.exactOptional(), st: digestList.exactOptional(),
    zp: digestList.exactOptional(), country: digestList.exactOptional(), external_id: digestList.exactOptional(),
  }),
  dataProcessing: z
    .strictObject({ options: z.tuple([z.literal('LDU')]), country: z.number().int(), state: z.number().int() })
    .exactOptional(),
  /** AES-256-GCM sealed JSON of `MetaMatchFields`. */
  sealed: z.string().exactOptional(),
  /** Unix ms when the API accepted the event (delivery latency starts here). */
  ingestedAt: z.number().int().nonnegative(),
});

const googleJobSchema = z.strictObject({
  v: z.literal(1),
  provider: z.literal('google'),
  event: eventMetadataSchema,
  mode: z.enum(['click', 'enhancement']),
  conversionActionId: z.string().regex(/^\d+$/),
  adUserDataConsent: z.enum(['GRANTED', 'DENIED']).exactOptional(),
  digests: z.strictObject({
    hashedEmail: digestList.exactOptional(),
    hashedPhoneNumber: digestList.exactOptional(),
    hashedFirstName: digest.exactOptional(),
    hashedLastName: digest.exactOptional(),
    hashedStreetAddress: digest.exactOptional(),
  }),
  /** AES-256-GCM sealed JSON of `GoogleMatchFields`. */
  sealed: z.string().exactOptional(),
  ingestedAt: z.number().int().nonnegative(),
});

export const jobDataSchema = z.discriminatedUnion('provider', [metaJobSchema, googleJobSchema]);
export type JobData = z.infer<typeof jobDataSchema>;

/**
 * The same schema as a compiled JSON Schema check, for the worker's hot path: every job is
 * validated before it is opened, and zod's parse (which also deep-copies the job) was a tenth of a
 * worker's CPU per event. zod stays the one definition: ajv runs what `z.toJSONSchema` derives
 * from it, zod names the failing paths when a job is refused, and a property test keeps their
 * verdicts equal (catalogue.test.ts).
 */
let compiledJobCheck: ((data: unknown) => data is JobData) | undefined;

/** True when `data` is valid job data. Compiled on first use: only workers open jobs, the api never pays for it. */
export function isJobData(data: unknown): data is JobData {
  compiledJobCheck ??= new Ajv2020({ strict: true, allErrors: false }).compile<JobData>(z.toJSONSchema(jobDataSchema, { io: 'input' }));
  return compiledJobCheck(data);
}
export type MetaJobData = z.infer<typeof metaJobSchema>;
export type GoogleJobData = z.infer<typeof googleJobSchema>;

/** A prepared event opened from a job, with the time it was ingested. */
export type OpenedJob = PreparedEvent & { ingestedAt: number };

/** The job data failed validation or its sealed part did not open. Carries no job content. */
export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
}

/**
 * Job id = `<destination>-<eventId digest>`: BullMQ forbids `:` in ids and ignores an add whose id
 * already exists, which makes the queue itself the idempotency check (SPEC §4).
 */
export function jobIdFor(provider: Provider, eventId: string): string {
  return `${provider}-${createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, 40)}`;
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
  if (prepared.provider === 'meta') {
    return {
      v: 1,
      provider: 'meta',
      event: prepared.event,
      userData: prepared.userData,
      ingestedAt,
      ...(prepared.dataProcessing && { dataProcessing: prepared.dataProcessing }),
      ...(sealed !== undefined && { sealed }),
    };
  }
  return {
    v: 1,
    provider: 'google',
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
  throw new InvalidJobError(`job data does not match schema v1 at: ${paths || '(root)'}`);
}

/** Validates job data and unseals its match fields, in memory only. */
export function openJobData(data: unknown, keyring: Keyring): OpenedJob {
  const job = isJobData(data) ? data : validJobData(data);
  let match: unknown = {};
  if (job.sealed !== undefined) {
    try {
      match = JSON.parse(keyring.unseal(job.sealed, sealingContext(job.provider, job.event.eventId)));
    } catch (error) {
      throw new InvalidJobError('sealed match fields could not be opened', { cause: error });
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
