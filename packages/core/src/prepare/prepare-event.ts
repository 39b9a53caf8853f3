import { isIP } from 'node:net';
import type { IngestItem } from '../contract.js';
import { deriveEventId, postedEventId } from '../event-id.js';
import { hashGoogleIdentifiers } from '../normalize/google.js';
import { emailCharacterWarnings } from '../normalize/email-characters.js';
import { hashMetaUserData } from '../normalize/meta.js';
import { prepareDataManagerEvent } from './data-manager.js';
import { conversionActionFor, prepareGoogleEvent, type GoogleConversionAction } from './google.js';
import { prepareMetaEvent } from './meta.js';
import type { ContentItem, EventMetadata, GoogleApi, MetaMatchFields, PreparedEvent, Provider, Skip, Warning } from '../types.js';

export interface PrepareOptions {
  /** The ingest clock, epoch milliseconds: event age and plausible birth years are measured against it. */
  nowMs: number;
  /** `DEFAULT_COUNTRY_CODE`: calling-code digits for phone numbers without one (e.g. `81`). */
  defaultCallingCode: string;
  /**
   * `DEFAULT_CURRENCY`: ISO 4217 code used when the event has a value but no currency.
   * @defaultValue none: such an event is sent without a currency
   */
  defaultCurrency?: string | undefined;
  meta: { enabled: boolean };
  google: {
    enabled: boolean;
    /** Event name → conversion action (`GOOGLE_CONVERSION_ACTIONS`). */
    actions: ReadonlyMap<string, GoogleConversionAction>;
    /**
     * For event names not in `actions` (`GOOGLE_CONVERSION_ACTION_ID`).
     * @defaultValue none: such events skip Google
     */
    fallbackAction?: GoogleConversionAction | undefined;
    /**
     * `GOOGLE_API`: which API the Google job is prepared for.
     * @defaultValue `'ads-api'`
     */
    api?: GoogleApi | undefined;
  };
}

export interface PrepareResult {
  eventId: string;
  /** One entry per provider that takes the event, in `PROVIDERS` order. */
  prepared: PreparedEvent[];
  /** One entry per provider that does not, with the reason. */
  skipped: Skip[];
  /** Values dropped or generated, by field path; each field and code at most once. */
  warnings: Warning[];
}

function contentItems(contents: IngestItem['event']['contents']): ContentItem[] | undefined {
  return contents?.map(({ id, quantity, itemPrice }) => {
    const content: ContentItem = { id };
    if (quantity !== undefined) content.quantity = quantity;
    if (itemPrice !== undefined) content.itemPrice = itemPrice;
    return content;
  });
}

function eventMetadata(item: IngestItem, eventId: string, defaultCurrency: string | undefined): EventMetadata {
  const { eventName, eventTime, value, orderId, actionSource } = item.event;
  const metadata: EventMetadata = { eventName, eventId, eventTime, actionSource };
  const currency = item.event.currency ?? (value === undefined ? undefined : defaultCurrency?.toUpperCase());
  const contents = contentItems(item.event.contents);
  if (value !== undefined) metadata.value = value;
  if (currency !== undefined) metadata.currency = currency;
  if (orderId !== undefined) metadata.orderId = orderId;
  if (contents !== undefined) metadata.contents = contents;
  return metadata;
}

const present = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** Meta's unhashed match keys; an IP that is not an IP is dropped with a warning. */
function metaMatchFields(item: IngestItem, warnings: Warning[]): MetaMatchFields {
  const { clientIpAddress, clientUserAgent, fbc, fbp, eventSourceUrl, customData } = item.event;
  const match: MetaMatchFields = {};
  if (present(clientIpAddress)) {
    const ip = clientIpAddress.trim();
    if (isIP(ip) === 0) {
      warnings.push({ field: 'event.clientIpAddress', code: 'invalid_ip_address' });
    } else {
      match.clientIpAddress = ip;
    }
  }
  if (present(clientUserAgent)) match.clientUserAgent = clientUserAgent;
  // fbc and fbp are case-sensitive and must reach Meta byte for byte (docs/platforms.md#meta-fields-sent-unhashed).
  if (present(fbc)) match.fbc = fbc;
  if (present(fbp)) match.fbp = fbp;
  if (eventSourceUrl !== undefined) match.eventSourceUrl = eventSourceUrl;
  if (customData !== undefined && Object.keys(customData).length > 0) match.customData = customData;
  const { ctwaClid, pageId, pageScopedUserId, igAccountId, igSid, messagingChannel } = item.event;
  if (present(ctwaClid)) match.ctwaClid = ctwaClid;
  if (present(pageId)) match.pageId = pageId;
  if (present(pageScopedUserId)) match.pageScopedUserId = pageScopedUserId;
  if (present(igAccountId)) match.igAccountId = igAccountId;
  if (present(igSid)) match.igSid = igSid;
  if (messagingChannel !== undefined) match.messagingChannel = messagingChannel;
  return match;
}

function uniqueWarnings(warnings: Warning[]): Warning[] {
  if (warnings.length < 2) return warnings;
  const seen = new Set<string>();
  return warnings.filter(({ field, code }) => {
    const key = `${field}\u0000${code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Everything the ingest API needs to know about one parsed item: its event id, what each provider
 * will receive (digests and plain match fields, not yet sealed), which providers cannot take it and
 * why, and which values were dropped. Pure; never throws for an item `parseIngestItem` accepted.
 */
export function prepareEvent(item: IngestItem, options: PrepareOptions): PrepareResult {
  const warnings: Warning[] = [];
  const { eventName, orderId } = item.event;
  let eventId = item.event.eventId;
  if (eventId === undefined && orderId !== undefined) {
    eventId = deriveEventId(eventName, orderId);
  } else if (eventId === undefined) {
    // Deterministic, so a retried identical request is deduplicated (docs/decisions.md#posted-event-ids).
    // An item built without parseIngestItem has no pre-default form: its parsed form stands in.
    eventId = item.postedEventId ?? postedEventId(item.customer, item.event);
    warnings.push({ field: 'event.eventId', code: 'generated_event_id' });
  }
  const event = eventMetadata(item, eventId, options.defaultCurrency);
  const context = { defaultCallingCode: options.defaultCallingCode, nowMs: options.nowMs, phoneMemo: new Map<string, string | undefined>(), digestMemo: [] as string[] };

  // Both providers' rules run whatever the routing, so the warnings describe the input, not the route.
  const meta = hashMetaUserData(item.customer, context);
  const google = hashGoogleIdentifiers(item.customer, context);
  warnings.push(...meta.warnings, ...google.warnings, ...emailCharacterWarnings(item.customer.email));
  const metaMatch = metaMatchFields(item, warnings);

  const prepared: PreparedEvent[] = [];
  const skipped: Skip[] = [];
  const skip = (provider: Provider, reason: Skip['reason']): void => {
    skipped.push({ provider, reason });
  };
  const requested = (provider: Provider): boolean => item.destinations?.includes(provider) ?? true;

  if (!requested('meta')) {
    skip('meta', 'not_requested');
  } else if (!options.meta.enabled) {
    skip('meta', 'provider_disabled');
  } else {
    const outcome = prepareMetaEvent(item, event, meta.userData, metaMatch, options.nowMs);
    if (outcome.ok) prepared.push(outcome.prepared);
    else skip('meta', outcome.reason);
  }

  if (!requested('google')) {
    skip('google', 'not_requested');
  } else if (!options.google.enabled) {
    skip('google', 'provider_disabled');
  } else {
    const action = conversionActionFor(event.eventName, options.google);
    const outcome = options.google.api === 'data-manager'
      ? action === undefined
        ? ({ ok: false, reason: 'no_conversion_action' } as const)
        : prepareDataManagerEvent(item, event, google, action, metaMatch.clientIpAddress)
      : prepareGoogleEvent(item, event, google, options.google);
    if (outcome.ok) {
      prepared.push(outcome.prepared);
      warnings.push(...outcome.warnings);
    } else {
      skip('google', outcome.reason);
    }
  }

  return { eventId, prepared, skipped, warnings: uniqueWarnings(warnings) };
}
