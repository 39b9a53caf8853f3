import { isIP } from 'node:net';
import type { DmViolation } from './data-manager-errors.js';
import { isPlainObject } from './http.js';

/**
 * Request and event rules of `POST /v1/events:ingest`, pure (docs/platforms.md#google-data-manager-api;
 * limits: https://developers.google.com/data-manager/api/devguides/limits). Enums are accepted as
 * names and as proto numbers, as the REST transcoder does (Google's Node client sends numbers).
 * Paths in violations are snake_case with indexes, as Google writes them.
 */

export const DM_MAX_EVENTS = 2000;
export const DM_MAX_DESTINATIONS = 10;
export const DM_MAX_IDENTIFIERS = 10;

const enumOf = (...names: [string, number][]): ReadonlyMap<string | number, string> => {
  const map = new Map<string | number, string>();
  for (const [name, number] of names) { map.set(name, name); map.set(number, name); }
  return map;
};
export const EVENT_SOURCE = enumOf(['EVENT_SOURCE_UNSPECIFIED', 0], ['WEB', 1], ['APP', 2], ['IN_STORE', 3], ['PHONE', 4], ['OTHER', 5], ['MESSAGE', 6]);
export const CONSENT_STATUS = enumOf(['CONSENT_STATUS_UNSPECIFIED', 0], ['CONSENT_GRANTED', 1], ['CONSENT_DENIED', 2]);
export const ENCODING = enumOf(['ENCODING_UNSPECIFIED', 0], ['HEX', 1], ['BASE64', 2]);
export const ACCOUNT_TYPE = enumOf(['ACCOUNT_TYPE_UNSPECIFIED', 0], ['GOOGLE_ADS', 1], ['DISPLAY_VIDEO_PARTNER', 2], ['DISPLAY_VIDEO_ADVERTISER', 3],
  ['DATA_PARTNER', 4], ['GOOGLE_ANALYTICS_PROPERTY', 5], ['GOOGLE_AD_MANAGER_AUDIENCE_LINK', 6], ['FLOODLIGHT_CONFIG', 7]);

const REQUEST_FIELDS = new Set(['destinations', 'events', 'consent', 'validateOnly', 'encoding', 'encryptionInfo']);
const EVENT_FIELDS = new Set([
  'destinationReferences', 'transactionId', 'eventTimestamp', 'lastUpdatedTimestamp', 'userData', 'consent', 'adIdentifiers', 'currency',
  'conversionValue', 'conversionCount', 'eventSource', 'eventDeviceInfo', 'cartData', 'customVariables', 'experimentalFields', 'userProperties',
]);
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CURRENCY = /^[A-Z]{3}$/;
const REGION = /^[A-Z]{2}$/;
const DIGITS = /^\d+$/;

export interface DestinationView {
  reference: string | undefined;
  operatingAccountId: string;
  loginAccountId: string | undefined;
  conversionActionId: string;
}

export interface RequestFacts {
  destinations: DestinationView[];
  encoding: string;
  validateOnly: boolean;
  consent: { adUserData?: string; adPersonalization?: string };
}

export interface RuleContext {
  operatingAccountIds: ReadonlySet<string>;
  loginAccountIds: ReadonlySet<string>;
  conversionActions: ReadonlySet<string>;
  nowMs: number;
  maxEventAgeMs: number;
  maxFutureSkewMs: number;
}

/** A refusal before any event is looked at: a violation, or an account problem (HTTP 403). */
export type RequestRefusal = { kind: 'invalid'; violations: DmViolation[] } | { kind: 'forbidden'; reason: string };

const v = (reason: string, field: string, description: string): DmViolation => ({ reason, field, description });

export function parseTimestampMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const ms = Date.parse(value);
  const [month, day, hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
  if (Number.isNaN(ms) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  return ms;
}

function account(value: unknown, field: string): { accountId: string } | DmViolation {
  if (!isPlainObject(value)) return v('REQUIRED_FIELD_MISSING', field, 'The account is required.');
  const type = ACCOUNT_TYPE.get(value['accountType'] as string | number);
  if (type === undefined) return v('INVALID_ENUM_VALUE', `${field}.account_type`, 'Invalid value for enum AccountType.');
  if (type !== 'GOOGLE_ADS') return v('INVALID_DESTINATION', `${field}.account_type`, 'The sandbox serves Google Ads destinations only.');
  const id = value['accountId'];
  if (typeof id !== 'string' || id === '') return v('REQUIRED_FIELD_MISSING', `${field}.account_id`, 'The account id is required.');
  if (!DIGITS.test(id)) return v('INVALID_FORMAT', `${field}.account_id`, 'The account id must be digits only, without hyphens.');
  return { accountId: id };
}

/** The request envelope: shape, limits, destinations and accounts. */
export function checkRequest(body: Record<string, unknown>, ctx: RuleContext): RequestFacts | RequestRefusal {
  const invalid = (...violations: DmViolation[]): RequestRefusal => ({ kind: 'invalid', violations });
  for (const key of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(key)) return invalid(v('INVALID_ARGUMENT', key, `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`));
  }
  if (body['encryptionInfo'] !== undefined) return invalid(v('INVALID_ARGUMENT', 'encryption_info', 'The sandbox does not decrypt; send HEX digests.'));
  const destinations = body['destinations'];
  if (!Array.isArray(destinations) || destinations.length === 0) return invalid(v('REQUIRED_FIELD_MISSING', 'destinations', 'At least one destination is required.'));
  if (destinations.length > DM_MAX_DESTINATIONS) return invalid(v('TOO_MANY_DESTINATIONS', 'destinations', `Maximum number of destinations allowed per request is ${DM_MAX_DESTINATIONS}.`));
  const events = body['events'];
  if (!Array.isArray(events) || events.length === 0) return invalid(v('REQUIRED_FIELD_MISSING', 'events', 'At least one event is required.'));
  if (events.length > DM_MAX_EVENTS) return invalid(v('TOO_MANY_EVENTS', 'events', `Maximum number of events allowed per request is ${DM_MAX_EVENTS}.`));
  if (body['validateOnly'] !== undefined && typeof body['validateOnly'] !== 'boolean') return invalid(v('INVALID_ARGUMENT', 'validate_only', 'validate_only must be a boolean.'));
  const encoding = body['encoding'] === undefined ? 'ENCODING_UNSPECIFIED' : ENCODING.get(body['encoding'] as string | number);
  if (encoding === undefined) return invalid(v('INVALID_ENUM_VALUE', 'encoding', 'Invalid value for enum Encoding.'));
  const consent = checkConsent(body['consent'], 'consent');
  if ('reason' in consent) return invalid(consent);

  const views: DestinationView[] = [];
  const references = new Set<string>();
  for (const [k, raw] of destinations.entries()) {
    const at = `destinations[${k}]`;
    if (!isPlainObject(raw)) return invalid(v('INVALID_ARGUMENT', at, 'A destination must be an object.'));
    const operating = account(raw['operatingAccount'], `${at}.operating_account`);
    if ('reason' in operating) return invalid(operating);
    let loginAccountId: string | undefined;
    if (raw['loginAccount'] !== undefined) {
      const login = account(raw['loginAccount'], `${at}.login_account`);
      if ('reason' in login) return invalid(login);
      loginAccountId = login.accountId;
    }
    if (raw['linkedAccount'] !== undefined) {
      return invalid(v('LINKED_ACCOUNT_ONLY_ALLOWED_WITH_DATA_PARTNER_LOGIN_ACCOUNT', `${at}.linked_account`, 'A linked account needs a DATA_PARTNER login account.'));
    }
    const reference = raw['reference'];
    if (reference !== undefined && (typeof reference !== 'string' || reference === '')) return invalid(v('INVALID_FORMAT', `${at}.reference`, 'The reference must be a non-empty string.'));
    if (reference !== undefined) {
      if (references.has(reference)) return invalid(v('DUPLICATE_DESTINATION_REFERENCE', `${at}.reference`, 'Two or more destinations in the request have the same reference.'));
      references.add(reference);
    } else if (destinations.length > 1) {
      return invalid(v('REQUIRED_FIELD_MISSING', `${at}.reference`, 'Each destination needs a reference when there are several.'));
    }
    const action = raw['productDestinationId'];
    if (typeof action !== 'string' || action === '') return invalid(v('REQUIRED_FIELD_MISSING', `${at}.product_destination_id`, 'The conversion action id is required.'));
    if (!DIGITS.test(action)) return invalid(v('INVALID_CONVERSION_ACTION_ID', `${at}.product_destination_id`, 'The conversion action id must be digits.'));
    // Account checks: unknown operating account or a login account that is not its manager.
    if (!ctx.operatingAccountIds.has(operating.accountId)) return { kind: 'forbidden', reason: 'PERMISSION_DENIED' };
    if (loginAccountId !== undefined && loginAccountId !== operating.accountId && !ctx.loginAccountIds.has(loginAccountId)) {
      return { kind: 'forbidden', reason: 'OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH' };
    }
    if (!ctx.conversionActions.has(action)) {
      return invalid(v('INVALID_CONVERSION_ACTION_ID', `${at}.product_destination_id`, 'Conversion action ID is not valid.'));
    }
    views.push({ reference, operatingAccountId: operating.accountId, loginAccountId, conversionActionId: action });
  }
  return { destinations: views, encoding, validateOnly: body['validateOnly'] === true, consent };
}

function checkConsent(value: unknown, field: string): { adUserData?: string; adPersonalization?: string } | DmViolation {
  if (value === undefined) return {};
  if (!isPlainObject(value)) return v('INVALID_ARGUMENT', field, 'consent must be an object.');
  const out: { adUserData?: string; adPersonalization?: string } = {};
  for (const [key, name] of [['adUserData', 'ad_user_data'], ['adPersonalization', 'ad_personalization']] as const) {
    if (value[key] === undefined) continue;
    const status = CONSENT_STATUS.get(value[key] as string | number);
    if (status === undefined) return v('INVALID_ENUM_VALUE', `${field}.${name}`, 'Invalid value for enum ConsentStatus.');
    out[key] = status;
  }
  return out;
}

function checkDigest(value: unknown, encoding: string, field: string): DmViolation | undefined {
  if (typeof value !== 'string' || value === '') return v('REQUIRED_FIELD_MISSING', field, 'The value is required.');
  if (encoding === 'BASE64') {
    if (!BASE64.test(value)) return v('INVALID_BASE64_ENCODING', field, 'The base64 encoded value is malformed.');
    if (Buffer.from(value, 'base64').length !== 32) return v('INVALID_FORMAT', field, 'The value must be a SHA-256 digest.');
    return undefined;
  }
  if (!HEX.test(value)) return v('INVALID_HEX_ENCODING', field, 'The HEX encoded value is malformed.');
  if (value.length !== 64) return v('INVALID_FORMAT', field, 'The value must be a SHA-256 digest (64 hex characters).');
  return undefined;
}

function checkIdentifiers(userData: unknown, encoding: string, at: string): DmViolation | { count: number } {
  if (userData === undefined) return { count: 0 };
  const ids = isPlainObject(userData) ? userData['userIdentifiers'] : undefined;
  if (!Array.isArray(ids)) return v('INVALID_ARGUMENT', `${at}.user_data.user_identifiers`, 'user_identifiers must be a list.');
  if (ids.length > DM_MAX_IDENTIFIERS) return v('TOO_MANY_USER_IDENTIFIERS', `${at}.user_data.user_identifiers`, `Maximum number of user identifiers allowed is ${DM_MAX_IDENTIFIERS}.`);
  if (ids.length > 0 && encoding === 'ENCODING_UNSPECIFIED') return v('REQUIRED_FIELD_MISSING', 'encoding', 'The encoding is required with user data.');
  for (const [j, id] of ids.entries()) {
    const field = `${at}.user_data.user_identifiers[${j}]`;
    const kinds = isPlainObject(id) ? ['emailAddress', 'phoneNumber', 'address'].filter((key) => id[key] !== undefined) : [];
    if (!isPlainObject(id) || kinds.length !== 1 || Object.keys(id).length !== 1) {
      return v('INVALID_FORMAT', field, 'A user identifier sets exactly one of email_address, phone_number, address.');
    }
    if (id['emailAddress'] !== undefined) {
      const bad = checkDigest(id['emailAddress'], encoding, `${field}.email_address`);
      if (bad !== undefined) return bad;
    } else if (id['phoneNumber'] !== undefined) {
      const bad = checkDigest(id['phoneNumber'], encoding, `${field}.phone_number`);
      if (bad !== undefined) return bad;
    } else {
      const address = id['address'];
      if (!isPlainObject(address)) return v('INVALID_FORMAT', `${field}.address`, 'address must be an object.');
      for (const [key, name] of [['givenName', 'given_name'], ['familyName', 'family_name']] as const) {
        const bad = checkDigest(address[key], encoding, `${field}.address.${name}`);
        if (bad !== undefined) return bad;
      }
      const region = address['regionCode'];
      if (typeof region !== 'string' || region === '') return v('REQUIRED_FIELD_MISSING', `${field}.address.region_code`, 'The region code is required.');
      if (!REGION.test(region)) return v('INVALID_COUNTRY_CODE', `${field}.address.region_code`, 'Region code must be ISO 3166-1 alpha-2, unhashed.');
      const postal = address['postalCode'];
      if (typeof postal !== 'string' || postal.trim() === '') return v('REQUIRED_FIELD_MISSING', `${field}.address.postal_code`, 'The postal code is required.');
      if (postal.length >= 32 || (HEX.test(postal) && postal.length === 64)) return v('INVALID_POSTAL_CODE', `${field}.address.postal_code`, 'Postal code is not valid (it is sent unhashed).');
    }
  }
  return { count: ids.length };
}

/** What one event carried, for the handler's bookkeeping. */
export interface EventFacts {
  references: string[];
  transactionId: string | undefined;
  adUserDataDenied: boolean;
  identifierCount: number;
  gclid: string | undefined;
  timestampMs: number;
  warnings: { reason: string; field: string; description: string }[];
}

/** The first rule event `i` breaks, or its facts. `webActions` are actions of type WEBPAGE. */
export function checkEvent(raw: unknown, i: number, request: RequestFacts, ctx: RuleContext, webActions: ReadonlySet<string>): EventFacts | DmViolation {
  const at = `events[${i}]`;
  if (!isPlainObject(raw)) return v('INVALID_EVENT', at, 'An event must be an object.');
  for (const key of Object.keys(raw)) {
    if (!EVENT_FIELDS.has(key)) return v('INVALID_ARGUMENT', at, `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`);
  }
  const timestampMs = parseTimestampMs(raw['eventTimestamp']);
  if (raw['eventTimestamp'] === undefined) return v('REQUIRED_FIELD_MISSING', `${at}.event_timestamp`, 'The event timestamp is required.');
  if (timestampMs === undefined) return v('INVALID_FORMAT', `${at}.event_timestamp`, 'The event timestamp must be RFC 3339.');
  if (timestampMs > ctx.nowMs + ctx.maxFutureSkewMs || timestampMs < ctx.nowMs - ctx.maxEventAgeMs) {
    return v('EVENT_TIME_INVALID', `${at}.event_timestamp`, 'The event time is in the future or too old.');
  }
  const refs = raw['destinationReferences'];
  const references = Array.isArray(refs) ? refs.filter((ref): ref is string => typeof ref === 'string') : [];
  const known = new Set(request.destinations.map((d) => d.reference));
  for (const [k, ref] of references.entries()) {
    if (!known.has(ref)) return v('INVALID_DESTINATION', `${at}.destination_references[${k}]`, 'The reference names no destination of the request.');
  }
  const targets = references.length === 0 ? request.destinations : request.destinations.filter((d) => references.includes(d.reference ?? ''));
  const transactionId = raw['transactionId'];
  if (transactionId !== undefined && (typeof transactionId !== 'string' || transactionId.length > 256)) {
    return v('FIELD_VALUE_TOO_LONG', `${at}.transaction_id`, 'The transaction id is too long.');
  }
  const source = raw['eventSource'] === undefined ? undefined : EVENT_SOURCE.get(raw['eventSource'] as string | number);
  if (raw['eventSource'] !== undefined && source === undefined) return v('INVALID_ENUM_VALUE', `${at}.event_source`, 'Invalid value for enum EventSource.');
  const currency = raw['currency'];
  if (currency !== undefined && (typeof currency !== 'string' || !CURRENCY.test(currency))) return v('INVALID_CURRENCY_CODE', `${at}.currency`, 'The currency code is not supported.');
  const value = raw['conversionValue'];
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) return v('INVALID_NUMBER_FORMAT', `${at}.conversion_value`, 'Invalid number format.');
  const consent = checkConsent(raw['consent'], `${at}.consent`);
  if ('reason' in consent) return consent;
  const ids = checkIdentifiers(raw['userData'], request.encoding, at);
  if ('reason' in ids) return ids;
  const ads = raw['adIdentifiers'];
  let gclid: string | undefined;
  let hasAdId = false;
  if (ads !== undefined) {
    if (!isPlainObject(ads)) return v('INVALID_ARGUMENT', `${at}.ad_identifiers`, 'ad_identifiers must be an object.');
    for (const key of ['gclid', 'gbraid', 'wbraid'] as const) {
      const id = ads[key];
      if (id === undefined) continue;
      if (typeof id !== 'string' || id === '') return v('INVALID_FORMAT', `${at}.ad_identifiers.${key}`, `The ${key} must be a non-empty string.`);
      hasAdId = true;
    }
    gclid = typeof ads['gclid'] === 'string' ? ads['gclid'] : undefined;
    const device = ads['landingPageDeviceInfo'];
    if (isPlainObject(device) && device['ipAddress'] !== undefined) {
      if (typeof device['ipAddress'] !== 'string' || isIP(device['ipAddress']) === 0) return v('INVALID_FORMAT', `${at}.ad_identifiers.landing_page_device_info.ip_address`, 'The IP address is not valid.');
      hasAdId = true;
    }
  }
  // Per action type (send-events guide): UPLOAD_CLICKS needs an event source; WEBPAGE needs a transaction id.
  for (const target of targets) {
    if (webActions.has(target.conversionActionId)) {
      if (typeof transactionId !== 'string' || transactionId === '') return v('REQUIRED_FIELD_MISSING', `${at}.transaction_id`, 'The transaction id is required for this conversion action.');
    } else if (source === undefined) {
      return v('REQUIRED_FIELD_MISSING', `${at}.event_source`, 'The event source is required for this conversion action.');
    }
  }
  if (!hasAdId && ids.count === 0) return v('NO_IDENTIFIERS_PROVIDED', at, 'Events data contains no user identifiers or ad identifiers.');
  const warnings: EventFacts['warnings'] = [];
  if (raw['customVariables'] !== undefined) {
    warnings.push({ reason: 'WARNING_REASON_CUSTOM_VARIABLE_NOT_ENABLED', field: `${at}.custom_variables`, description: 'Custom variables are not enabled for the destination; ignored.' });
  }
  const adUserData = consent.adUserData ?? request.consent.adUserData;
  return {
    references: targets.map((d) => d.conversionActionId),
    transactionId: typeof transactionId === 'string' && transactionId !== '' ? transactionId : undefined,
    adUserDataDenied: adUserData === 'CONSENT_DENIED',
    identifierCount: ids.count,
    gclid,
    timestampMs,
    warnings,
  };
}
