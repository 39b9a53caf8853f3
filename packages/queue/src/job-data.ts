import type {
  ContentItem, EventMetadata, GoogleDigests, GoogleMatchFields, Keyring, MetaUserDigests, PreparedEvent, Provider,
} from '@capconnect/core';
import { DATA_MANAGER_DIGEST_FIELDS, fromJobDigests, toJobDigests } from './dm-digests.js';
import {
  JOB_SCHEMA_VERSION, isJobData, jobDataSchema, type DataManagerJobData, type GoogleJobData, type JobData, type JobDataV3, type LegacyJobData, type MetaJobData,
} from './job-schema.js';
import { GOOGLE_ADS_DIGEST_FIELDS, META_DIGEST_FIELDS, packDigests, unpackDigests } from './packed-digests.js';
import { matchFieldsOf, sealedText, type SealedKind } from './sealed-fields.js';

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

type EventV3 = JobDataV3['e'];

function eventV3(event: EventMetadata): EventV3 {
  const short: EventV3 = { n: event.eventName, i: event.eventId, t: event.eventTime, a: event.actionSource };
  if (event.value !== undefined) short.v = event.value;
  if (event.currency !== undefined) short.c = event.currency;
  if (event.orderId !== undefined) short.o = event.orderId;
  if (event.contents !== undefined) {
    short.x = event.contents.map((item) => {
      const content: NonNullable<EventV3['x']>[number] = { i: item.id };
      if (item.quantity !== undefined) content.q = item.quantity;
      if (item.itemPrice !== undefined) content.p = item.itemPrice;
      return content;
    });
  }
  return short;
}

/** The prepared event's own key order (prepareEvent's), so an opened v3 job equals the v2 one key for key. */
function eventOf(short: EventV3): EventMetadata {
  const event: EventMetadata = { eventName: short.n, eventId: short.i, eventTime: short.t, actionSource: short.a };
  if (short.v !== undefined) event.value = short.v;
  if (short.c !== undefined) event.currency = short.c;
  if (short.o !== undefined) event.orderId = short.o;
  if (short.x !== undefined) {
    event.contents = short.x.map((item) => {
      const content: ContentItem = { id: item.i };
      if (item.q !== undefined) content.quantity = item.q;
      if (item.p !== undefined) content.itemPrice = item.p;
      return content;
    });
  }
  return event;
}

/**
 * Turns a prepared event into job data (schema v3, docs/architecture.md#job-schema): match fields
 * are sealed, digests packed, nothing personal stays plain. Built by assignment rather than by
 * spreading optional parts: this runs twice per ingested event.
 */
export function toJobData(prepared: PreparedEvent, keyring: Keyring, ingestedAt: number): JobDataV3 {
  const kind: SealedKind = prepared.provider === 'meta' ? 'meta' : prepared.api === 'data-manager' ? 'dm' : 'ads';
  const sealed = hasAny(prepared.match)
    ? keyring.seal(sealedText(kind, prepared.match), sealingContext(prepared.provider, prepared.event.eventId))
    : undefined;
  const e = eventV3(prepared.event);
  if (prepared.provider === 'meta') {
    const job: MetaJobData = { v: JOB_SCHEMA_VERSION, t: 'm', e, ingestedAt };
    const digests = packDigests(META_DIGEST_FIELDS, prepared.userData);
    if (digests !== undefined) job.d = digests;
    const ldu = prepared.dataProcessing;
    if (ldu) job.l = [ldu.country, ldu.state];
    if (sealed !== undefined) job.s = sealed;
    return job;
  }
  if (prepared.api === 'data-manager') {
    const job: DataManagerJobData = { v: JOB_SCHEMA_VERSION, t: 'd', e, ingestedAt, m: prepared.mode, ca: prepared.conversionActionId, es: prepared.eventSource };
    if (prepared.transactionId !== prepared.event.orderId) job.tx = prepared.transactionId;
    const consent = prepared.consent;
    if (consent) {
      job.cs = {};
      if (consent.adUserData !== undefined) job.cs.u = consent.adUserData;
      if (consent.adPersonalization !== undefined) job.cs.p = consent.adPersonalization;
    }
    const digests = toJobDigests(prepared.digests);
    if (digests !== undefined) job.d = digests;
    if (sealed !== undefined) job.s = sealed;
    return job;
  }
  const job: GoogleJobData = { v: JOB_SCHEMA_VERSION, t: 'g', e, ingestedAt, m: prepared.mode, ca: prepared.conversionActionId };
  if (prepared.adUserDataConsent) job.uc = prepared.adUserDataConsent;
  const digests = packDigests(GOOGLE_ADS_DIGEST_FIELDS, prepared.digests);
  if (digests !== undefined) job.d = digests;
  if (sealed !== undefined) job.s = sealed;
  return job;
}

/** zod's verdict on data the fast check refused: the job as zod reads it, or an error naming paths only. */
function validJobData(data: unknown): JobData {
  const parsed = jobDataSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ');
  throw new InvalidJobError('invalid_job', `job data does not match schema v${JOB_SCHEMA_VERSION} (or v1, v2) at: ${paths || '(root)'}`);
}

/** Opens a sealed part: the parsed plaintext object, or an InvalidJobError. */
function unseal(sealed: string | undefined, provider: Provider, eventId: string, keyring: Keyring): Record<string, unknown> {
  if (sealed === undefined) return {};
  let match: unknown;
  try {
    match = JSON.parse(keyring.unseal(sealed, sealingContext(provider, eventId)));
  } catch (error) {
    throw new InvalidJobError('unsealable', 'sealed match fields could not be opened', { cause: error });
  }
  // It opened, so it was sealed with our key; but a producer bug (or a key holder) could have
  // sealed `null` or an array, which would otherwise fail later as a TypeError and be retried.
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    throw new InvalidJobError('invalid_job', 'sealed match fields are not an object');
  }
  return match as Record<string, unknown>;
}

const badDigests = () => new InvalidJobError('invalid_job', 'packed digests do not add up (field counts against bytes)');

function openV3(job: JobDataV3, keyring: Keyring): OpenedJob {
  const event = eventOf(job.e);
  const provider: Provider = job.t === 'm' ? 'meta' : 'google';
  const kind: SealedKind = job.t === 'm' ? 'meta' : job.t === 'd' ? 'dm' : 'ads';
  const match = matchFieldsOf(kind, unseal(job.s, provider, event.eventId, keyring));
  if (match === undefined) throw new InvalidJobError('invalid_job', 'sealed match fields hold an unknown key');
  if (job.t === 'm') {
    const userData = job.d === undefined ? {} : unpackDigests(META_DIGEST_FIELDS, job.d);
    if (userData === undefined) throw badDigests();
    return {
      provider: 'meta', event, userData: userData as MetaUserDigests, match, ingestedAt: job.ingestedAt,
      ...(job.l && { dataProcessing: { options: ['LDU'], country: job.l[0], state: job.l[1] } }),
    };
  }
  if (job.t === 'd') {
    const digests = fromJobDigests(job.d);
    if (digests === undefined) throw badDigests();
    const transactionId = job.tx ?? event.orderId;
    if (transactionId === undefined) throw new InvalidJobError('invalid_job', 'job data does not match schema v3 at: tx');
    return {
      provider: 'google', api: 'data-manager', event, mode: job.m, conversionActionId: job.ca, eventSource: job.es, transactionId,
      digests, match, ingestedAt: job.ingestedAt,
      ...(job.cs && { consent: { ...(job.cs.u !== undefined && { adUserData: job.cs.u }), ...(job.cs.p !== undefined && { adPersonalization: job.cs.p }) } }),
    };
  }
  const digests = job.d === undefined ? {} : unpackDigests(GOOGLE_ADS_DIGEST_FIELDS, job.d);
  if (digests === undefined) throw badDigests();
  // Without `api`, as a v2 `ads-api` job opened.
  return {
    provider: 'google', event, mode: job.m, conversionActionId: job.ca,
    digests: digests as GoogleDigests, match: match as GoogleMatchFields, ingestedAt: job.ingestedAt,
    ...(job.uc && { adUserDataConsent: job.uc }),
  };
}

/** v1 and v2 jobs, opened exactly as the versions that wrote them did. */
function openLegacy(job: LegacyJobData, keyring: Keyring): OpenedJob {
  const match = unseal(job.sealed, job.provider, job.event.eventId, keyring);
  if (job.provider === 'meta') {
    return {
      provider: 'meta',
      event: job.event,
      userData: job.userData,
      match,
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
      digests: { ...job.digests },
      match,
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

/** Validates job data (v1, v2 or v3) and unseals its match fields, in memory only. */
export function openJobData(data: unknown, keyring: Keyring): OpenedJob {
  const job = isJobData(data) ? data : validJobData(data);
  return job.v === 3 ? openV3(job, keyring) : openLegacy(job, keyring);
}

/** What an operator may see of a job (no digests, nothing sealed), from any schema version. */
export interface JobSummary {
  provider: Provider;
  event: EventMetadata;
  /** The digest fields the job carries (`em`, `hashedEmail`, `emailAddress`, …), not their values. */
  identifierFields: string[];
  sealedMatchFields: boolean;
  /** Google jobs: the mode and conversion action. */
  mode?: string;
  conversionActionId?: string;
}

/** A job's non-personal facts, without unsealing; undefined when the data is not a valid job. */
export function summarizeJobData(data: unknown): JobSummary | undefined {
  if (!isJobData(data)) return undefined;
  if (data.v !== 3) {
    const fields = data.provider === 'meta' ? data.userData : data.digests;
    return {
      provider: data.provider, event: data.event, identifierFields: Object.keys(fields), sealedMatchFields: data.sealed !== undefined,
      ...(data.provider === 'google' && { mode: data.mode, conversionActionId: data.conversionActionId }),
    };
  }
  const counts = data.d?.slice(0, data.d.indexOf('.')) ?? '';
  const layout = data.t === 'm' ? META_DIGEST_FIELDS : data.t === 'd' ? DATA_MANAGER_DIGEST_FIELDS : GOOGLE_ADS_DIGEST_FIELDS;
  return {
    provider: data.t === 'm' ? 'meta' : 'google',
    event: eventOf(data.e),
    identifierFields: layout.filter((_, index) => (counts[index] ?? '0') !== '0').map(([name]) => name),
    sealedMatchFields: data.s !== undefined,
    ...(data.t !== 'm' && { mode: data.m, conversionActionId: data.ca }),
  };
}
