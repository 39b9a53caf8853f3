import { z } from 'zod';
import { MESSAGING_CHANNELS } from './meta-messaging.js';
import { ACTION_SOURCES, PROVIDERS } from './types.js';
import { describeIssues, type ContractIssue } from './contract-issues.js';
import { createContractCheck, type ContractCheck } from './contract-check.js';
import {
  EMAIL_INSIDE, ID_CONTROL_MESSAGE, ID_PHONE_MESSAGE, MAX_EVENT_AGE_S, customDataIssue, hasControlOrLoneSurrogate, isInternationalPhoneNumber, itemSizeIssue,
} from './contract-limits.js';
import { postedEventId } from './event-id.js';

/** Longest accepted personal value, in UTF-16 code units. Real names and addresses are far shorter. */
export const MAX_CUSTOMER_VALUE_LENGTH = 512;
/** Most values per customer field (e.g. ten email addresses). */
export const MAX_CUSTOMER_VALUES = 10;
/** How far `eventTime` may lie in the future, for client clock skew (docs/architecture.md#contract: further is a 400). */
export const MAX_FUTURE_SKEW_S = 600;
/** Most line items in `event.contents`. */
export const MAX_CONTENTS = 200;

const customerValue = z.union([
  z.string().max(MAX_CUSTOMER_VALUE_LENGTH),
  z.array(z.string().max(MAX_CUSTOMER_VALUE_LENGTH)).max(MAX_CUSTOMER_VALUES),
]);

/** Raw personal data as posted. Every field optional; a string or an array of strings. */
export const customerSchema = z.strictObject({
  email: customerValue.optional(),
  phone: customerValue.optional(),
  firstName: customerValue.optional(),
  lastName: customerValue.optional(),
  gender: customerValue.optional(),
  dateOfBirth: customerValue.optional(),
  city: customerValue.optional(),
  state: customerValue.optional(),
  zip: customerValue.optional(),
  country: customerValue.optional(),
  streetAddress: customerValue.optional(),
  externalId: customerValue.optional(),
});

const nonBlank = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => value.trim().length > 0, { error: 'must not be blank' });

/**
 * Ids and names travel unhashed (Redis, provider payloads): an email address or an international
 * phone number inside one would be plaintext personal data, and Google refuses such order ids
 * (`ORDER_ID_CONTAINS_PII`). Control characters and lone surrogates are refused too
 * (docs/decisions.md#id-rules).
 */
const plainId = (max: number) =>
  nonBlank(max)
    .refine((value) => !EMAIL_INSIDE.test(value), { error: 'must not contain an email address (ids are not hashed)' })
    .refine((value) => !hasControlOrLoneSurrogate(value), { error: ID_CONTROL_MESSAGE })
    .refine((value) => !isInternationalPhoneNumber(value), { error: ID_PHONE_MESSAGE });

/** Unix seconds, or an ISO 8601 date-time with `Z` or an offset; becomes unix seconds. */
const eventTimeSchema = z.union([
  z.number().nonnegative(),
  z.iso.datetime({ offset: true }).transform((value) => Date.parse(value) / 1000),
]);

const contentItemSchema = z.strictObject({
  id: plainId(256),
  quantity: z.number().int().positive().optional(),
  itemPrice: z.number().nonnegative().optional(),
});

export const eventSchema = z.strictObject({
  eventName: plainId(256),
  eventId: plainId(256).optional(),
  eventTime: eventTimeSchema.optional(),
  value: z.number().nonnegative().optional(),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, { error: 'must be a 3-letter ISO 4217 code' })
    .transform((value) => value.toUpperCase())
    .optional(),
  orderId: plainId(256).optional(),
  actionSource: z.enum(ACTION_SOURCES).optional(),
  eventSourceUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  // Checked by `prepareEvent` (dropped with `invalid_ip_address`), not here: a bad forwarded-for
  // header should cost the IP, not the whole event.
  clientIpAddress: z.string().max(64).optional(),
  clientUserAgent: z.string().max(2048).optional(),
  // Click ids and cookies are case-sensitive and are never altered (docs/platforms.md#meta-fields-sent-unhashed).
  fbc: z.string().max(512).optional(),
  fbp: z.string().max(512).optional(),
  gclid: z.string().max(512).optional(),
  gbraid: z.string().max(512).optional(),
  wbraid: z.string().max(512).optional(),
  // Business messaging (Meta): ids from the conversation, kept byte for byte like the click ids.
  ctwaClid: z.string().max(512).optional(),
  pageId: z.string().regex(/^\d{1,32}$/, { error: 'must be a numeric id' }).optional(),
  pageScopedUserId: z.string().regex(/^\d{1,32}$/, { error: 'must be a numeric id' }).optional(),
  igAccountId: z.string().regex(/^\d{1,32}$/, { error: 'must be a numeric id' }).optional(),
  igSid: z.string().regex(/^\d{1,32}$/, { error: 'must be a numeric id' }).optional(),
  messagingChannel: z.enum(MESSAGING_CHANNELS).optional(),
  contents: z.array(contentItemSchema).max(MAX_CONTENTS).optional(),
  customData: z.record(z.string(), z.unknown()).optional(),
});

const consentStatus = z.enum(['granted', 'denied']);

export const consentSchema = z.strictObject({
  adUserData: consentStatus.optional(),
  adPersonalization: consentStatus.optional(),
  limitedDataUse: z
    .union([
      z.boolean(),
      z.strictObject({ country: z.number().int().nonnegative(), state: z.number().int().nonnegative() }),
    ])
    .optional(),
});

export const ingestItemSchema = z.strictObject({
  customer: customerSchema.optional(),
  event: eventSchema,
  consent: consentSchema.optional(),
  destinations: z.array(z.enum(PROVIDERS)).min(1).max(PROVIDERS.length).optional(),
});

type ParsedIngestItem = z.output<typeof ingestItemSchema>;

/** The schemas the compiled check is built from (the item and the objects it nests). */
export function ingestSchemas() {
  return { item: ingestItemSchema, customer: customerSchema, event: eventSchema, consent: consentSchema, contentItem: contentItemSchema };
}

/**
 * The compiled check of the same schemas (contract-check.ts): zod's output for what it accepts, else
 * undefined (then zod decides). Exported for its property test only.
 */
export const compiledIngestCheck = createContractCheck(ingestSchemas()) as ContractCheck<ParsedIngestItem>;

/**
 * Compiles the ingest contract's fast check now rather than on the first item (0.2–0.7 s on a
 * small machine, docs/decisions.md#compiled-contract-check): the api calls it at boot.
 */
export function warmIngestContract(): void {
  compiledIngestCheck.warm();
}

/** Whether the ingest contract's fast check is compiled in this process (for the api's boot test). */
export function ingestContractCompiled(): boolean {
  return compiledIngestCheck.compiled;
}

export type Customer = z.output<typeof customerSchema>;
/** One customer field as posted: a string or an array of strings. */
export type CustomerValue = z.output<typeof customerValue>;
export type Consent = z.output<typeof consentSchema>;

/** The event after parsing: `eventTime` in unix seconds and `actionSource` filled in. */
export type IngestEvent = Omit<z.output<typeof eventSchema>, 'eventTime' | 'actionSource'> & {
  /** Unix seconds; the ingest time when the advertiser sent none. */
  eventTime: number;
  actionSource: (typeof ACTION_SOURCES)[number];
};

/** A parsed ingest item (docs/architecture.md#contract). Holds raw personal data: lives only in one request's memory. */
export type IngestItem = Omit<ParsedIngestItem, 'customer' | 'event'> & {
  customer: Customer;
  event: IngestEvent;
  /** Set when the event has neither `eventId` nor `orderId`: its id, derived from the item as posted. */
  postedEventId?: string;
};

export type { ContractIssue } from './contract-issues.js';

export type ParseIngestItemResult = { ok: true; item: IngestItem } | { ok: false; issues: ContractIssue[] };

export interface ParseIngestItemOptions {
  /** The ingest clock, epoch milliseconds: the default `eventTime` and the future-skew reference. */
  nowMs: number;
}

/**
 * Validates one ingest item against the contract (docs/architecture.md#contract).
 *
 * - Unknown keys are rejected at every level, so a typo (`emial`) surfaces instead of silently
 *   dropping data.
 * - `event.actionSource` defaults to `website` (the contract's example and the common case); Meta then
 *   requires `clientUserAgent` and `eventSourceUrl`, and says so in `skipped` when they are missing.
 * - `event.eventTime` defaults to now; more than 10 minutes in the future or 90 days in the past is an issue.
 * - Size caps: `customData` and the whole item (contract-limits.ts); the issue names the field.
 * - An event with neither `eventId` nor `orderId` gets `postedEventId`, derived before any default.
 * - Issue messages are fixed texts: they never contain a submitted value.
 */
export function parseIngestItem(input: unknown, options: ParseIngestItemOptions): ParseIngestItemResult {
  let data = compiledIngestCheck(input);
  const customDataTooBig = customDataIssue(input);
  if (data === undefined) {
    // Refused by the compiled check (or beyond what it vouches for): zod decides and names the fields.
    const parsed = ingestItemSchema.safeParse(input);
    if (!parsed.success) {
      return { ok: false, issues: [...describeIssues(parsed.error.issues, input), ...(customDataTooBig ? [customDataTooBig] : [])] };
    }
    data = parsed.data;
  }
  const tooBig = customDataTooBig ?? itemSizeIssue(input);
  if (tooBig !== undefined) return { ok: false, issues: [tooBig] };
  const { customer, event } = data;
  const nowS = Math.floor(options.nowMs / 1000);
  const eventTime = Math.floor(event.eventTime ?? nowS);
  if (eventTime > nowS + MAX_FUTURE_SKEW_S) {
    return { ok: false, issues: [{ path: 'event.eventTime', message: 'must not be more than 10 minutes in the future' }] };
  }
  if (eventTime < nowS - MAX_EVENT_AGE_S) {
    return { ok: false, issues: [{ path: 'event.eventTime', message: 'must not be more than 90 days in the past' }] };
  }
  // Derived from the item before the defaults below, so a retried identical body gets the same id.
  const posted = event.eventId === undefined && event.orderId === undefined ? postedEventId(customer, event) : undefined;
  // `data` is the parse's own fresh output (never the input), so the defaults go into it directly:
  // the same keys in the same order as copying it with spreads, without the copies.
  const item = {} as IngestItem;
  if (Object.hasOwn(data, 'consent')) item.consent = data.consent;
  if (Object.hasOwn(data, 'destinations')) item.destinations = data.destinations;
  item.customer = customer ?? {};
  const withDefaults = event as IngestItem['event'];
  withDefaults.eventTime = eventTime;
  withDefaults.actionSource = event.actionSource ?? 'website';
  item.event = withDefaults;
  if (posted !== undefined) item.postedEventId = posted;
  return { ok: true, item };
}

