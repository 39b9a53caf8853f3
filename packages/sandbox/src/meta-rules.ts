import { isIP } from 'node:net';
import { isPlainObject, LOOKS_HASHED } from './http.js';

/**
 * Meta CAPI event validation, pure. Facts: docs/platforms.md#meta-normalization-and-hashing (user_data), docs/platforms.md#meta-event-fields (event fields,
 * batch semantics). Subcodes other than 2804003 and 2804019 are sandbox choices in Meta's 2804xxx family
 * (RudderStack's network handler lists 2804001/7/16/17/19/48 as parameter errors) — see README.
 */
export interface MetaViolation {
  subcode: number;
  title: string;
  userMsg: string;
}

export const META_SUBCODES = {
  invalidParameter: 2804001,
  timestampTooOld: 2804003,
  timestampInFuture: 2804004,
  invalidUserData: 2804007,
  insufficientCustomerInfo: 2804016,
  invalidDataProcessingOptions: 2804017,
  missingParameter: 2804019,
} as const;

export const META_ACTION_SOURCES: ReadonlySet<string> = new Set([
  'email', 'website', 'app', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other',
]);

/** user_data keys that must carry SHA-256 digests (docs/platforms.md#meta-normalization-and-hashing, plus external_id which CapConnect always hashes). */
const HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id',
  'f5first', 'f5last', 'fi', 'dobd', 'dobm', 'doby'] as const;
const HASHED_KEY_SET: ReadonlySet<string> = new Set(HASHED_KEYS);
/** Raw (never hashed) user_data keys that Meta accepts (docs/platforms.md#meta-fields-sent-unhashed). */
const RAW_STRING_KEYS: ReadonlySet<string> = new Set(['client_ip_address', 'client_user_agent', 'fbc', 'fbp',
  'subscription_id', 'anon_id', 'madid', 'page_id', 'page_scoped_user_id', 'ctwa_clid', 'ig_account_id', 'ig_sid']);
const RAW_INTEGER_KEYS: ReadonlySet<string> = new Set(['fb_login_id', 'lead_id']);

/** Server-event fields (docs/platforms.md#meta-event-fields and SDK extras). Anything else is refused as a misspelling. */
const EVENT_KEYS: ReadonlySet<string> = new Set(['event_name', 'event_time', 'user_data', 'custom_data',
  'event_source_url', 'opt_out', 'event_id', 'action_source', 'data_processing_options',
  'data_processing_options_country', 'data_processing_options_state', 'referrer_url', 'app_data',
  'original_event_data', 'customer_segmentation', 'advanced_measurement_table', 'advertiser_tracking_enabled',
  'messaging_channel', 'attribution_data']);

/** A digest, optionally with the parameter builder's `.appendix` (docs/platforms.md#meta-normalization-and-hashing, parameter-builder-library page). */
const HASHED_VALUE = /^[0-9a-f]{64}(?:\.[A-Za-z0-9_-]{2,8})?$/;
/** `fb.{subdomainIndex}.{creationTimeMs}.{payload}[.appendix]` (docs/platforms.md#meta-fields-sent-unhashed: fbp/fbc, cookie acceptance rule). */
const FB_COOKIE = /^fb\.\d\.\d{13}\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]{2}|\.[A-Za-z0-9_-]{8})?$/;
const URL_LIKE = /^https?:\/\/[^\s]+$/i;
const CURRENCY = /^[A-Za-z]{3}$/;

// Baseline matching rule (best-practices page): customer info that is only a subset of one of these sets is
// not enough. One bit per key involved; any other key sets OTHER and makes the event acceptable.
const BIT = { ct: 1, country: 2, st: 4, zp: 8, ge: 16, client_user_agent: 32, db: 64, fn: 128, ln: 256 } as const;
const OTHER = 512;
const WEAK_SETS = [
  BIT.ct | BIT.country | BIT.st | BIT.zp | BIT.ge | BIT.client_user_agent,
  BIT.db | BIT.client_user_agent,
  BIT.fn | BIT.ge,
  BIT.ln | BIT.ge,
];

const SECONDS_PER_DAY = 86_400;

function at(index: number, ...path: string[]): string {
  let out = `$['data'][${index}]`;
  for (const part of path) out += `['${part}']`;
  return out;
}

function missing(index: number, ...path: string[]): MetaViolation {
  return { subcode: META_SUBCODES.missingParameter, title: 'Server-side API parameter error', userMsg: `The parameter ${at(index, ...path)} is required.` };
}

function invalid(index: number, detail: string, ...path: string[]): MetaViolation {
  return { subcode: META_SUBCODES.invalidParameter, title: 'Server-side API parameter error', userMsg: `The parameter ${at(index, ...path)} ${detail}` };
}

function badUserData(index: number, key: string, detail: string): MetaViolation {
  return { subcode: META_SUBCODES.invalidUserData, title: 'Invalid customer information parameter', userMsg: `The parameter ${at(index, 'user_data', key)} ${detail}` };
}

function isHashedValue(value: unknown): { ok: boolean; count: number } {
  if (typeof value === 'string') return { ok: HASHED_VALUE.test(value), count: 1 };
  if (!Array.isArray(value)) return { ok: false, count: 0 };
  for (const item of value) if (typeof item !== 'string' || !HASHED_VALUE.test(item)) return { ok: false, count: 0 };
  return { ok: true, count: value.length };
}

function checkUserData(userData: Record<string, unknown>, index: number, website: boolean): MetaViolation | undefined {
  let mask = 0;
  for (const key in userData) {
    const value = userData[key];
    if (value === undefined || value === null) continue;
    if (HASHED_KEY_SET.has(key)) {
      const hashed = isHashedValue(value);
      if (!hashed.ok) {
        return badUserData(index, key, 'must be a SHA-256 hash (64 lowercase hex characters) or a list of them; unhashed customer information is not accepted.');
      }
      if (hashed.count > 0) mask |= (BIT as Record<string, number>)[key] ?? OTHER;
    } else if (RAW_STRING_KEYS.has(key)) {
      if (typeof value !== 'string' || value.trim() === '') return badUserData(index, key, 'must be a non-empty string.');
      if (LOOKS_HASHED.test(value)) return badUserData(index, key, 'must not be hashed.');
      if (key === 'client_ip_address' && isIP(value) === 0) return badUserData(index, key, 'is not a valid IPv4 or IPv6 address.');
      if ((key === 'fbc' || key === 'fbp') && !FB_COOKIE.test(value)) {
        return badUserData(index, key, 'must be formatted as fb.<subdomain_index>.<creation_time_ms>.<value>.');
      }
      mask |= key === 'client_user_agent' ? BIT.client_user_agent : OTHER;
    } else if (RAW_INTEGER_KEYS.has(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) return badUserData(index, key, 'must be an integer.');
      mask |= OTHER;
    } else {
      return badUserData(index, key, 'is not a valid customer information parameter.');
    }
  }
  if ((mask & OTHER) === 0 && WEAK_SETS.some((weak) => (mask & ~weak) === 0)) {
    return {
      subcode: META_SUBCODES.insufficientCustomerInfo,
      title: 'Insufficient customer information',
      userMsg: `The event ${at(index)} does not have enough customer information parameters: add parameters beyond ct, st, zp, country, ge, db, fn, ln and client_user_agent alone.`,
    };
  }
  if (website && (mask & BIT.client_user_agent) === 0) return missing(index, 'user_data', 'client_user_agent');
  return undefined;
}

/**
 * Business messaging (Conversions API for Business Messaging): a `business_messaging` event names
 * its `messaging_channel`, and each channel needs the ids that tie the conversation to the ad:
 * WhatsApp the click id, Messenger the Page and page-scoped user, Instagram the account and the
 * Instagram-scoped user. A channel on any other action source is refused (a sandbox choice).
 */
const MESSAGING_CHANNEL_KEYS: Readonly<Record<string, readonly string[]>> = {
  whatsapp: ['ctwa_clid'],
  messenger: ['page_id', 'page_scoped_user_id'],
  instagram: ['ig_account_id', 'ig_sid'],
};
/** Page, account and scoped user ids are numeric strings. */
const NUMERIC_ID_KEYS = ['page_id', 'page_scoped_user_id', 'ig_account_id', 'ig_sid'] as const;
const NUMERIC_ID = /^\d+$/;

function checkMessaging(event: Record<string, unknown>, userData: Record<string, unknown>, index: number): MetaViolation | undefined {
  for (const key of NUMERIC_ID_KEYS) {
    const value = userData[key];
    if (typeof value === 'string' && !NUMERIC_ID.test(value)) return badUserData(index, key, 'must be a numeric id.');
  }
  const channel = event['messaging_channel'];
  if (event['action_source'] !== 'business_messaging') {
    return channel === undefined ? undefined : invalid(index, 'is only valid when action_source is business_messaging.', 'messaging_channel');
  }
  if (channel === undefined) return missing(index, 'messaging_channel');
  const needed = typeof channel === 'string' ? MESSAGING_CHANNEL_KEYS[channel] : undefined;
  if (needed === undefined) return invalid(index, `must be one of ${Object.keys(MESSAGING_CHANNEL_KEYS).join(', ')}.`, 'messaging_channel');
  for (const key of needed) if (userData[key] === undefined) return missing(index, 'user_data', key);
  return undefined;
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function checkProcessingOptions(event: Record<string, unknown>, index: number): MetaViolation | undefined {
  const options = event['data_processing_options'];
  const country = event['data_processing_options_country'];
  const state = event['data_processing_options_state'];
  const fail = (detail: string, key: string): MetaViolation => ({
    subcode: META_SUBCODES.invalidDataProcessingOptions, title: 'Invalid data processing options', userMsg: `The parameter ${at(index, key)} ${detail}`,
  });
  if (country !== undefined && !isInt(country)) return fail('must be an integer (1 = US, 0 = geolocate).', 'data_processing_options_country');
  if (state !== undefined && !isInt(state)) return fail('must be an integer (1000 = California, 0 = geolocate).', 'data_processing_options_state');
  if (options === undefined) return undefined;
  if (!Array.isArray(options) || options.length > 1 || (options.length === 1 && options[0] !== 'LDU')) {
    return fail('must be [] or ["LDU"].', 'data_processing_options');
  }
  if (options.length === 1) {
    if (country === undefined) return fail('is required when data_processing_options is ["LDU"].', 'data_processing_options_country');
    if (state === undefined) return fail('is required when data_processing_options is ["LDU"].', 'data_processing_options_state');
  }
  return undefined;
}

function checkCustomData(custom: unknown, index: number): MetaViolation | undefined {
  if (custom === undefined) return undefined;
  if (!isPlainObject(custom)) return invalid(index, 'must be an object.', 'custom_data');
  const value = custom['value'];
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return invalid(index, 'must be a number.', 'custom_data', 'value');
  const currency = custom['currency'];
  if (currency !== undefined && (typeof currency !== 'string' || !CURRENCY.test(currency))) {
    return invalid(index, 'must be a 3-letter ISO 4217 currency code.', 'custom_data', 'currency');
  }
  return undefined;
}

/** First rule `data[index]` breaks, or undefined. `nowS` in unix seconds. */
export function validateMetaEvent(event: unknown, index: number, nowS: number, maxFutureSkewS: number): MetaViolation | undefined {
  if (!isPlainObject(event)) return invalid(index, 'must be an object.');
  for (const key in event) if (!EVENT_KEYS.has(key)) return invalid(index, 'is not a valid server event parameter.', key);

  const name = event['event_name'];
  if (name === undefined) return missing(index, 'event_name');
  if (typeof name !== 'string' || name.trim() === '') return invalid(index, 'must be a non-empty string.', 'event_name');

  const time = event['event_time'];
  if (time === undefined) return missing(index, 'event_time');
  if (!isInt(time) || time <= 0) return invalid(index, 'must be a unix timestamp in seconds.', 'event_time');

  const source = event['action_source'];
  if (source === undefined) return missing(index, 'action_source');
  if (typeof source !== 'string' || !META_ACTION_SOURCES.has(source)) {
    return invalid(index, `must be one of ${[...META_ACTION_SOURCES].join(', ')}.`, 'action_source');
  }
  const maxAgeDays = source === 'physical_store' ? 62 : 7;
  if (nowS - time > maxAgeDays * SECONDS_PER_DAY) {
    return {
      subcode: META_SUBCODES.timestampTooOld,
      title: 'Event Timestamp Too Old',
      userMsg: `The timestamp for the event ${at(index)} is too far in the past. Events need to be sent from your server within ${maxAgeDays} days of when they occurred.`,
    };
  }
  if (time - nowS > maxFutureSkewS) {
    return {
      subcode: META_SUBCODES.timestampInFuture,
      title: 'Event Timestamp In Future',
      userMsg: `The timestamp for the event ${at(index)} is in the future. Send event_time as the unix time in seconds when the event occurred.`,
    };
  }

  const eventId = event['event_id'];
  if (eventId !== undefined && (typeof eventId !== 'string' || eventId === '')) return invalid(index, 'must be a non-empty string.', 'event_id');
  const optOut = event['opt_out'];
  if (optOut !== undefined && typeof optOut !== 'boolean') return invalid(index, 'must be a boolean.', 'opt_out');

  const website = source === 'website';
  const url = event['event_source_url'];
  if (url === undefined) {
    if (website) return missing(index, 'event_source_url');
  } else if (typeof url !== 'string' || !URL_LIKE.test(url)) {
    return invalid(index, 'must be an absolute http(s) URL.', 'event_source_url');
  }

  const userData = event['user_data'];
  if (userData === undefined) return missing(index, 'user_data');
  if (!isPlainObject(userData)) return invalid(index, 'must be an object.', 'user_data');
  return checkUserData(userData, index, website) ?? checkMessaging(event, userData, index)
    ?? checkProcessingOptions(event, index) ?? checkCustomData(event['custom_data'], index);
}
