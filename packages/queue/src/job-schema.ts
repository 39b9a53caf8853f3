import { ACTION_SOURCES } from '@capconnect/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { dataManagerJobDigestsSchema } from './dm-digests.js';

/**
 * The versioned job schema. The producer (api) and the consumer (worker) both use it, so a job can
 * only carry what it allows: digests, sealed match fields and non-personal event metadata.
 *
 * Version 2 (docs/architecture.md#job-schema): Google jobs name their API (`ads-api` or
 * `data-manager`); Meta jobs are unchanged but for the number. The producer writes v2; the worker
 * still opens v1 jobs written by the previous version (all of them Google Ads API or Meta jobs), so
 * a rolling upgrade loses nothing.
 */

/** The version the producer writes. */
export const JOB_SCHEMA_VERSION = 2;

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
  v: z.literal([1, 2]),
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

const googleAdsFields = {
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
};

/** A Google Ads API job as version 1 wrote it (no `api`). */
const googleJobV1Schema = z.strictObject({ v: z.literal(1), ...googleAdsFields });

/** A Google Ads API job, version 2. */
const googleAdsJobSchema = z.strictObject({ v: z.literal(2), api: z.literal('ads-api'), ...googleAdsFields });

const consentStatus = z.enum(['GRANTED', 'DENIED']);

/** A Data Manager job (docs/platforms.md#google-data-manager-api); digests through dm-digests.ts. */
const dataManagerJobSchema = z.strictObject({
  v: z.literal(2),
  provider: z.literal('google'),
  api: z.literal('data-manager'),
  event: eventMetadataSchema,
  mode: z.enum(['click', 'leads', 'web']),
  conversionActionId: z.string().regex(/^\d+$/),
  eventSource: z.enum(['WEB', 'APP', 'IN_STORE', 'PHONE', 'MESSAGE', 'OTHER']),
  transactionId: z.string().min(1).max(256),
  consent: z.strictObject({ adUserData: consentStatus.exactOptional(), adPersonalization: consentStatus.exactOptional() }).exactOptional(),
  digests: dataManagerJobDigestsSchema,
  /** AES-256-GCM sealed JSON of `DataManagerMatchFields` (click ids, landing-page device, region and postal code). */
  sealed: z.string().exactOptional(),
  ingestedAt: z.number().int().nonnegative(),
});

export const jobDataSchema = z.union([metaJobSchema, googleJobV1Schema, googleAdsJobSchema, dataManagerJobSchema]);
export type JobData = z.infer<typeof jobDataSchema>;

/**
 * The same schema as a compiled JSON Schema check, for the worker's hot path: every job is
 * validated before it is opened, and zod's parse (which also deep-copies the job) was a tenth of a
 * worker's CPU per event. zod stays the one definition: ajv runs what `z.toJSONSchema` derives
 * from it, zod names the failing paths when a job is refused, and a property test keeps their
 * verdicts equal (job-schema.test.ts).
 */
let compiledJobCheck: ((data: unknown) => data is JobData) | undefined;

/** True when `data` is valid job data. Compiled on first use: only workers open jobs, the api never pays for it. */
export function isJobData(data: unknown): data is JobData {
  compiledJobCheck ??= new Ajv2020({ strict: true, allErrors: false }).compile<JobData>(z.toJSONSchema(jobDataSchema, { io: 'input' }));
  return compiledJobCheck(data);
}
export type MetaJobData = z.infer<typeof metaJobSchema>;
export type GoogleJobData = z.infer<typeof googleJobV1Schema> | z.infer<typeof googleAdsJobSchema>;
export type DataManagerJobData = z.infer<typeof dataManagerJobSchema>;
