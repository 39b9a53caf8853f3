import { MESSAGING_IDENTIFIERS, MESSAGING_USER_DATA_KEYS, type MetaPreparedEvent, type MetaUserDigests } from '@capconnect/core';
import { PermanentError } from '../errors.js';

/**
 * Meta CAPI server events from prepared (opened) jobs. Pure. Field names and rules:
 * docs/platforms.md#meta-event-fields (server-event parameters, custom_data, data_processing_options).
 */

/** One `data[i]` entry. */
export interface MetaServerEvent {
  event_name: string;
  event_time: number;
  action_source: string;
  event_id: string;
  user_data: Record<string, unknown>;
  event_source_url?: string;
  custom_data?: Record<string, unknown>;
  data_processing_options?: string[];
  data_processing_options_country?: number;
  data_processing_options_state?: number;
  /** `whatsapp`, `messenger` or `instagram`; set on `business_messaging` events. */
  messaging_channel?: string;
}

/** Request body of `POST /{version}/{pixel}/events`. `access_token` in the body, as Meta's SDK sends it. */
export interface MetaEventsBody {
  data: MetaServerEvent[];
  access_token: string;
  test_event_code?: string;
}

const SECONDS_PER_DAY = 86_400;

/**
 * How long after `event_time` Meta still takes an event: 7 days, 62 for `physical_store`
 * (docs/platforms.md#meta-event-time-window; an older event fails the whole request, code 100 / 2804003).
 */
export function metaMaxAgeS(actionSource: string): number {
  return (actionSource === 'physical_store' ? 62 : 7) * SECONDS_PER_DAY;
}

/**
 * Unix ms after which the event must not be sent. A safety margin of one minute keeps an event
 * that is about to expire from expiring between this check and Meta's.
 */
export function metaExpiresAtMs(event: { eventTime: number; actionSource: string }): number {
  return (event.eventTime + metaMaxAgeS(event.actionSource)) * 1000 - 60_000;
}

export function buildMetaEvent(prepared: MetaPreparedEvent): MetaServerEvent {
  const { event, userData: digests, match } = prepared;
  // Every `MetaUserDigests` key (the job schema allows no others) and the unsealed match fields, in
  // one literal: every event gets the same object shape, which is cheaper to build and to serialize
  // than a copy grown key by key (this runs once per event on the worker's hot path). Absent fields
  // stay undefined here, and JSON.stringify leaves them out of the request.
  const user: Record<string, unknown> = {
    em: digests.em, ph: digests.ph, fn: digests.fn, ln: digests.ln, ge: digests.ge, db: digests.db,
    ct: digests.ct, st: digests.st, zp: digests.zp, country: digests.country, external_id: digests.external_id,
    client_ip_address: match.clientIpAddress, client_user_agent: match.clientUserAgent, fbc: match.fbc, fbp: match.fbp,
    // Business-messaging ids (docs/platforms.md#meta-business-messaging): customer information, unhashed.
    ctwa_clid: match.ctwaClid, page_id: match.pageId, page_scoped_user_id: match.pageScopedUserId,
    ig_account_id: match.igAccountId, ig_sid: match.igSid,
  } satisfies Required<Record<keyof MetaUserDigests, unknown>> & Record<string, unknown>;

  // Advertiser extras first, so our own fields win a key collision (Meta's SDK throws instead).
  const custom: Record<string, unknown> = match.customData === undefined ? {} : { ...match.customData };
  if (event.value !== undefined) custom['value'] = event.value;
  if (event.currency !== undefined) custom['currency'] = event.currency;
  if (event.orderId !== undefined) custom['order_id'] = event.orderId;
  if (event.contents !== undefined && event.contents.length > 0) {
    custom['contents'] = event.contents.map((item) => ({
      id: item.id,
      ...(item.quantity !== undefined && { quantity: item.quantity }),
      ...(item.itemPrice !== undefined && { item_price: item.itemPrice }),
    }));
    custom['content_ids'] = event.contents.map((item) => item.id);
    custom['content_type'] = 'product';
  }

  // Plain assignments rather than conditional spreads: this runs once per event on the worker's hot path.
  const built: MetaServerEvent = {
    event_name: event.eventName,
    event_time: event.eventTime,
    action_source: event.actionSource,
    // Dedup key with the pixel's eventID (docs/platforms.md#meta-deduplication).
    event_id: event.eventId,
    user_data: user,
  };
  if (match.eventSourceUrl !== undefined) built.event_source_url = match.eventSourceUrl;
  if (match.messagingChannel !== undefined) built.messaging_channel = match.messagingChannel;
  if (Object.keys(custom).length > 0) built.custom_data = custom;
  if (prepared.dataProcessing) {
    built.data_processing_options = [...prepared.dataProcessing.options];
    built.data_processing_options_country = prepared.dataProcessing.country;
    built.data_processing_options_state = prepared.dataProcessing.state;
  }
  return built;
}

export function buildMetaBody(events: MetaServerEvent[], accessToken: string, testEventCode?: string): MetaEventsBody {
  return { data: events, access_token: accessToken, ...(testEventCode !== undefined && { test_event_code: testEventCode }) };
}

// Baseline matching rule (docs/platforms.md#meta-baseline-matching-rule): customer info that is only a subset of one of
// these sets makes the event invalid, and an invalid event sinks its whole batch.
const WEAK_SETS: readonly (readonly string[])[] = [
  ['ct', 'country', 'st', 'zp', 'ge', 'client_user_agent'],
  ['db', 'client_user_agent'],
  ['fn', 'ge'],
  ['ln', 'ge'],
];
const MATCH_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id',
  'client_ip_address', 'client_user_agent', 'fbc', 'fbp', ...Object.values(MESSAGING_USER_DATA_KEYS)];

/** `user_data` keys each messaging channel needs (Meta's names). */
const CHANNEL_KEYS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(MESSAGING_IDENTIFIERS).map(([channel, fields]) => [channel, fields.map((field) => MESSAGING_USER_DATA_KEYS[field as keyof typeof MESSAGING_USER_DATA_KEYS])]),
);

/**
 * Checks one event before it joins a batch, so an event Meta would refuse fails alone instead of
 * sinking the batch (docs/decisions.md#meta-batch-isolation-and-bisection). Throws `PermanentError` with the reason code.
 */
export function prevalidateMetaEvent(event: MetaServerEvent, nowMs: number): void {
  if (nowMs > (event.event_time + metaMaxAgeS(event.action_source)) * 1000 - 60_000) {
    throw new PermanentError({ reason: 'expired' });
  }
  if (event.action_source === 'website') {
    if (event.event_source_url === undefined) throw new PermanentError({ reason: 'missing_event_source_url' });
    if (event.user_data['client_user_agent'] === undefined) throw new PermanentError({ reason: 'missing_client_user_agent' });
  }
  if (event.action_source === 'business_messaging') {
    const needed = event.messaging_channel === undefined ? undefined : CHANNEL_KEYS[event.messaging_channel];
    if (needed === undefined) throw new PermanentError({ reason: 'missing_messaging_channel' });
    if (needed.some((key) => event.user_data[key] === undefined)) throw new PermanentError({ reason: 'missing_messaging_identifier' });
  }
  const present = MATCH_KEYS.filter((key) => event.user_data[key] !== undefined);
  if (present.length === 0) throw new PermanentError({ reason: 'no_customer_information' });
  if (WEAK_SETS.some((weak) => present.every((key) => weak.includes(key)))) {
    throw new PermanentError({ reason: 'weak_customer_information' });
  }
}
