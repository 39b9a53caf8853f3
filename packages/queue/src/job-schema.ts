import { ACTION_SOURCES } from '@capconnect/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { dataManagerJobDigestsSchema, dataManagerJobDigestsV2Schema } from './dm-digests.js';
import { GOOGLE_ADS_DIGEST_FIELDS, META_DIGEST_FIELDS, packedDigestsSchema } from './packed-digests.js';

/**
 * The versioned job schema. The producer (api) and the consumer (worker) both use it, so a job can
 * only carry what it allows: digests, sealed match fields and non-personal event metadata.
 *
 * Version 3 (docs/architecture.md#job-schema): the same content in fewer Redis bytes: short keys,
 * every digest of a job packed into one base64url string (packed-digests.ts), a Data Manager
 * transaction id left out when it is the order id, and a sealed part whose plaintext uses one-letter
 * keys (sealed-fields.ts). The producer writes v3; the worker still opens v1 and v2 jobs written by
 * the previous versions, so workers rolled out first lose nothing.
 *
 * Version 2: Google jobs name their API (`ads-api` or `data-manager`). Version 1: Meta and Google
 * Ads API jobs only.
 */

/** The version the producer writes. */
export const JOB_SCHEMA_VERSION = 3 as const;

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
  digests: dataManagerJobDigestsV2Schema,
  /** AES-256-GCM sealed JSON of `DataManagerMatchFields` (click ids, landing-page device, region and postal code). */
  sealed: z.string().exactOptional(),
  ingestedAt: z.number().int().nonnegative(),
});

// Version 3: short keys. `e` is the event metadata, `d` the packed digests, `s` the sealed part
// (one-letter keys inside); the table in docs/architecture.md#job-schema.

const eventV3Schema = z.strictObject({
  /** eventName */ n: eventMetadataSchema.shape.eventName,
  /** eventId */ i: eventMetadataSchema.shape.eventId,
  /** eventTime (unix s) */ t: eventMetadataSchema.shape.eventTime,
  /** actionSource */ a: eventMetadataSchema.shape.actionSource,
  /** value */ v: z.number().exactOptional(),
  /** currency */ c: z.string().regex(/^[A-Z]{3}$/).exactOptional(),
  /** orderId */ o: z.string().min(1).max(256).exactOptional(),
  /** contents: id, quantity, itemPrice */
  x: z.array(z.strictObject({ i: z.string(), q: z.number().exactOptional(), p: z.number().exactOptional() })).max(1000).exactOptional(),
});

const commonV3 = {
  v: z.literal(3),
  e: eventV3Schema,
  /** AES-256-GCM sealed JSON of the match fields, one-letter keys (sealed-fields.ts). */
  s: z.string().exactOptional(),
  /** Unix ms when the API accepted the event; under its full name, which every version shares (delivery-latency readers use it). */
  ingestedAt: z.number().int().nonnegative(),
};

const metaJobV3Schema = z.strictObject({
  ...commonV3,
  t: z.literal('m'),
  /** userData: em, ph, fn, ln, ge, db, ct, st, zp, country, external_id. */
  d: packedDigestsSchema(META_DIGEST_FIELDS).exactOptional(),
  /** dataProcessing: Limited Data Use `[country, state]`. */
  l: z.tuple([z.number().int(), z.number().int()]).exactOptional(),
});

const googleAdsJobV3Schema = z.strictObject({
  ...commonV3,
  t: z.literal('g'),
  /** mode */ m: z.enum(['click', 'enhancement']),
  /** conversionActionId */ ca: z.string().regex(/^\d+$/),
  /** adUserDataConsent */ uc: z.enum(['GRANTED', 'DENIED']).exactOptional(),
  /** digests: hashedEmail, hashedPhoneNumber, hashedFirstName, hashedLastName, hashedStreetAddress. */
  d: packedDigestsSchema(GOOGLE_ADS_DIGEST_FIELDS).exactOptional(),
});

const dataManagerJobV3Schema = z.strictObject({
  ...commonV3,
  t: z.literal('d'),
  /** mode */ m: z.enum(['click', 'leads', 'web']),
  /** conversionActionId */ ca: z.string().regex(/^\d+$/),
  /** eventSource */ es: z.enum(['WEB', 'APP', 'IN_STORE', 'PHONE', 'MESSAGE', 'OTHER']),
  /** transactionId, left out when it is the order id (`e.o`). */
  tx: z.string().min(1).max(256).exactOptional(),
  /** consent: adUserData, adPersonalization. */
  cs: z.strictObject({ u: consentStatus.exactOptional(), p: consentStatus.exactOptional() }).exactOptional(),
  /** digests: emailAddress, phoneNumber, givenName, familyName (dm-digests.ts). */
  d: dataManagerJobDigestsSchema.exactOptional(),
});

// v3 first: the compiled check tries the members in order and nearly every job is v3.
export const jobDataSchema = z.union([
  metaJobV3Schema, dataManagerJobV3Schema, googleAdsJobV3Schema, metaJobSchema, googleJobV1Schema, googleAdsJobSchema, dataManagerJobSchema,
]);
export type JobData = z.infer<typeof jobDataSchema>;

/**
 * The same schema as a compiled JSON Schema check, for the worker's hot path: every job is
 * validated before it is opened, and zod's parse (which also deep-copies the job) was a tenth of a
 * worker's CPU per event. zod stays the one definition: ajv runs what `z.toJSONSchema` derives
 * from it, zod names the failing paths when a job is refused, and a property test keeps their
 * verdicts equal (job-schema.test.ts).
 *
 * The union is `anyOf`, which Ajv2020 evaluates member by member to the end (it tracks evaluated
 * properties for `unevaluatedProperties`), refusing six of seven members per job. So the check
 * first tries the one member whose required literals (`v`, `t`, `provider`, `api`, …) the job
 * carries: if that member accepts it, so does the union. Otherwise it runs the whole union, so the
 * verdict is always the union's.
 */
let compiledJobCheck: ((data: unknown) => data is JobData) | undefined;

interface MemberSchema {
  properties?: Record<string, { const?: unknown; enum?: unknown[] }>;
  required?: string[];
}

/** The required top-level properties a member pins to literal values, with the values allowed. */
function literalsOf(member: MemberSchema): [string, unknown[]][] {
  return (member.required ?? []).flatMap((key): [string, unknown[]][] => {
    const property = member.properties?.[key];
    if (property?.const !== undefined) return [[key, [property.const]]];
    return property?.enum ? [[key, property.enum]] : [];
  });
}

function compileJobCheck(): (data: unknown) => data is JobData {
  const root = z.toJSONSchema(jobDataSchema, { io: 'input' });
  const ajv = new Ajv2020({ strict: true, allErrors: false });
  const union = ajv.compile<JobData>(root);
  const { $schema: _schema, anyOf = [], ...shared } = root as { $schema?: string; anyOf?: MemberSchema[] };
  const members = anyOf.map((member) => ({ literals: literalsOf(member), check: ajv.compile({ ...shared, ...member }) }));
  return (data: unknown): data is JobData => {
    if (typeof data === 'object' && data !== null) {
      const fields = data as Record<string, unknown>;
      const member = members.find(({ literals }) => literals.every(([key, allowed]) => allowed.includes(fields[key])));
      if (member?.check(data) === true) return true;
    }
    return union(data);
  };
}

/** True when `data` is valid job data. Compiled on first use: only workers open jobs, the api never pays for it. */
export function isJobData(data: unknown): data is JobData {
  compiledJobCheck ??= compileJobCheck();
  return compiledJobCheck(data);
}
/** A job as the producer writes it now. */
export type JobDataV3 = z.infer<typeof metaJobV3Schema> | z.infer<typeof googleAdsJobV3Schema> | z.infer<typeof dataManagerJobV3Schema>;
export type MetaJobData = z.infer<typeof metaJobV3Schema>;
export type GoogleJobData = z.infer<typeof googleAdsJobV3Schema>;
export type DataManagerJobData = z.infer<typeof dataManagerJobV3Schema>;
/** Jobs written by earlier versions, which workers still open. */
export type LegacyJobData = z.infer<typeof metaJobSchema> | z.infer<typeof googleJobV1Schema> | z.infer<typeof googleAdsJobSchema> | z.infer<typeof dataManagerJobSchema>;
