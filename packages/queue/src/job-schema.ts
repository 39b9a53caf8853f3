import { ACTION_SOURCES } from '@capconnect/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';

/**
 * The versioned job schema. The producer (api) and the consumer (worker) both use it, so a job can
 * only carry what it allows: digests, sealed match fields and non-personal event metadata.
 */

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
 * verdicts equal (job-schema.test.ts).
 */
let compiledJobCheck: ((data: unknown) => data is JobData) | undefined;

/** True when `data` is valid job data. Compiled on first use: only workers open jobs, the api never pays for it. */
export function isJobData(data: unknown): data is JobData {
  compiledJobCheck ??= new Ajv2020({ strict: true, allErrors: false }).compile<JobData>(z.toJSONSchema(jobDataSchema, { io: 'input' }));
  return compiledJobCheck(data);
}
export type MetaJobData = z.infer<typeof metaJobSchema>;
export type GoogleJobData = z.infer<typeof googleJobSchema>;
