/**
 * Terminology
 *
 * - **ingest item**: one `{customer, event, consent?, destinations?}` object as an advertiser posts it
 *   (contract.ts). It carries raw personal data and lives only in the memory of one request.
 * - **provider**: an ad platform CapConnect delivers to: `meta` (Conversions API) or `google`
 *   (Google Ads click conversions / enhanced-conversion adjustments). One BullMQ queue each.
 * - **digest**: SHA-256 of a normalized personal value, 64 lowercase hex characters. One-way.
 * - **match fields**: personal values a provider wants in plain text (IP, user agent, fbc, fbp,
 *   click ids, page URL, Google's plain address parts, free-form custom data). They are never
 *   hashed; they are *sealed* (AES-256-GCM) before anything leaves the request's memory.
 * - **prepared event**: what one provider will receive for one ingest item, in memory, with match
 *   fields still in plain text (`MetaPreparedEvent`, `GooglePreparedEvent`). The queue package
 *   seals the match fields into the job; the worker unseals them in memory just before sending.
 * - **warning**: a value that was dropped or changed during normalization, reported by field path and
 *   code, never by value.
 * - **skip**: a provider that cannot take the event, with the reason (eligibility is decided at ingest).
 */

export const PROVIDERS = ['meta', 'google'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Meta `action_source` values (docs/platforms.md#meta-event-fields). */
export const ACTION_SOURCES = [
  'email',
  'website',
  'app',
  'phone_call',
  'chat',
  'physical_store',
  'system_generated',
  'business_messaging',
  'other',
] as const;
export type ActionSource = (typeof ACTION_SOURCES)[number];

/** A 64-character lowercase hex SHA-256 digest. */
export type Digest = string;

/** One line item of the order. Not personal. */
export interface ContentItem {
  id: string;
  quantity?: number;
  itemPrice?: number;
}

/** Event facts that are not personal: they travel in Redis in plain text. */
export interface EventMetadata {
  eventName: string;
  /** The idempotency key: supplied by the advertiser or derived (see `deriveEventId`). */
  eventId: string;
  /** Unix seconds. */
  eventTime: number;
  value?: number;
  /** ISO 4217, uppercase. */
  currency?: string;
  orderId?: string;
  actionSource: ActionSource;
  contents?: ContentItem[];
}

/** Meta `user_data` digests, keyed by Meta's own field names. Each list is non-empty when present. */
export interface MetaUserDigests {
  em?: Digest[];
  ph?: Digest[];
  fn?: Digest[];
  ln?: Digest[];
  ge?: Digest[];
  db?: Digest[];
  ct?: Digest[];
  st?: Digest[];
  zp?: Digest[];
  country?: Digest[];
  external_id?: Digest[];
}

/** Meta fields that are personal but sent unhashed: sealed in the job. */
export interface MetaMatchFields {
  clientIpAddress?: string;
  clientUserAgent?: string;
  fbc?: string;
  fbp?: string;
  eventSourceUrl?: string;
  /** Advertiser-defined `custom_data` extras; free-form, so treated as personal. */
  customData?: Record<string, unknown>;
  // Business messaging (docs/platforms.md#meta-business-messaging): ids a conversation hands the
  // business, sent to Meta unhashed; sealed like the other match keys. The channel is not personal
  // but rides here so the job schema does not change.
  /** Click-to-WhatsApp click id (`user_data.ctwa_clid`). */
  ctwaClid?: string;
  /** Facebook Page id (`user_data.page_id`). */
  pageId?: string;
  /** Page-scoped user id, Messenger (`user_data.page_scoped_user_id`). */
  pageScopedUserId?: string;
  /** Instagram business account id (`user_data.ig_account_id`). */
  igAccountId?: string;
  /** Instagram-scoped user id (`user_data.ig_sid`). */
  igSid?: string;
  /** `messaging_channel` of a `business_messaging` event. */
  messagingChannel?: 'whatsapp' | 'messenger' | 'instagram';
}

/** Meta Limited Data Use (docs/platforms.md#meta-limited-data-use: data_processing_options). */
export interface MetaDataProcessing {
  options: ['LDU'];
  /** 0 = let Meta geolocate; 1 = US. */
  country: number;
  /** 0 = let Meta geolocate; 1000 = California. */
  state: number;
}

export interface MetaPreparedEvent {
  provider: 'meta';
  event: EventMetadata;
  userData: MetaUserDigests;
  match: MetaMatchFields;
  dataProcessing?: MetaDataProcessing;
}

/**
 * How conversions for a Google conversion action are uploaded (`GOOGLE_CONVERSION_ACTIONS`):
 * `click` (offline click conversions), `leads` (enhanced conversions for leads, Data Manager),
 * `web` (tag conversions as an additional data source, Data Manager), `enhancement` (legacy
 * adjustments, Google Ads API only). docs/platforms.md#dm-request
 */
export type GoogleMode = 'click' | 'leads' | 'web' | 'enhancement';

/** The modes of the Google Ads API path (`GOOGLE_API=ads-api`). */
export type AdsApiMode = 'click' | 'enhancement';

/** The modes of the Data Manager path (`GOOGLE_API=data-manager`). */
export type DataManagerMode = 'click' | 'leads' | 'web';

/** Which Google API delivers conversions (`GOOGLE_API`). */
export type GoogleApi = 'data-manager' | 'ads-api';

/** Data Manager `Event.eventSource` (docs/platforms.md#dm-request). */
export type DataManagerEventSource = 'WEB' | 'APP' | 'IN_STORE' | 'PHONE' | 'MESSAGE' | 'OTHER';

export type GoogleConsentStatus = 'GRANTED' | 'DENIED';

/** Hashed Google identifiers. Click mode accepts only email and phone (at most 5 in all). */
export interface GoogleDigests {
  hashedEmail?: Digest[];
  hashedPhoneNumber?: Digest[];
  /** Enhancement mode only: the hashed parts of `addressInfo`. */
  hashedFirstName?: Digest;
  hashedLastName?: Digest;
  hashedStreetAddress?: Digest;
}

/** Google fields that are personal but sent unhashed: sealed in the job. */
export interface GoogleMatchFields {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  /** Enhancement mode: should match the user agent of the tagged conversion. */
  userAgent?: string;
  /** Enhancement mode only: the plain parts of `addressInfo`. */
  city?: string;
  state?: string;
  postalCode?: string;
  /** ISO 3166-1 alpha-2, uppercase. */
  countryCode?: string;
}

/** A Google Ads API conversion (`GOOGLE_API=ads-api`; every job written before job schema v2). */
export interface GooglePreparedEvent {
  provider: 'google';
  /** Absent in events opened from v1 jobs, which were all Google Ads API jobs. */
  api?: 'ads-api';
  event: EventMetadata;
  mode: AdsApiMode;
  /** Numeric conversion action id from `GOOGLE_CONVERSION_ACTIONS` / `GOOGLE_CONVERSION_ACTION_ID`. */
  conversionActionId: string;
  /** `DENIED` means no user identifiers are sent at all (docs/decisions.md#consent-handling). */
  adUserDataConsent?: GoogleConsentStatus;
  digests: GoogleDigests;
  match: GoogleMatchFields;
}

/** Data Manager digests, keyed by the API's own field names (lowercase hex SHA-256). */
export interface DataManagerDigests {
  emailAddress?: Digest[];
  phoneNumber?: Digest[];
  givenName?: Digest;
  familyName?: Digest;
}

/** Data Manager fields that are personal but sent unhashed: sealed in the job. */
export interface DataManagerMatchFields {
  gclid?: string;
  gbraid?: string;
  wbraid?: string;
  /** Landing-page device: only without a denial of ad-user-data consent. */
  userAgent?: string;
  ipAddress?: string;
  /** ISO 3166-1 alpha-2, uppercase; part of the address identifier. */
  regionCode?: string;
  postalCode?: string;
}

/** A Data Manager conversion (`GOOGLE_API=data-manager`), docs/platforms.md#google-data-manager-api. */
export interface DataManagerPreparedEvent {
  provider: 'google';
  api: 'data-manager';
  event: EventMetadata;
  mode: DataManagerMode;
  /** Numeric conversion action id, sent as the destination's `productDestinationId`. */
  conversionActionId: string;
  eventSource: DataManagerEventSource;
  /** The order id, else derived from the event id (`dataManagerTransactionId`): Google's dedup key. */
  transactionId: string;
  consent?: { adUserData?: GoogleConsentStatus; adPersonalization?: GoogleConsentStatus };
  digests: DataManagerDigests;
  match: DataManagerMatchFields;
}

export type PreparedEvent = MetaPreparedEvent | GooglePreparedEvent | DataManagerPreparedEvent;

/** Why a value was dropped or an event was routed the way it was. Codes are stable API. */
export type WarningCode =
  | 'invalid_email'
  | 'invalid_phone'
  | 'invalid_date_of_birth'
  | 'invalid_gender'
  | 'invalid_country'
  | 'invalid_state'
  | 'invalid_zip'
  | 'empty_value'
  | 'generated_event_id'
  | 'too_many_identifiers'
  | 'invalid_ip_address'
  /** Kept and hashed as sent, but holds characters a typed address does not (normalize/email-characters.ts). */
  | 'unusual_characters'
  /** `gbraid` and `wbraid` together: Google refuses the pair (GBRAID_WBRAID_BOTH_SET). */
  | 'gbraid_and_wbraid'
  /** Another event of the same ingest batch has this order id (Google refuses the second). */
  | 'duplicate_order_id';

export interface Warning {
  /** Dotted path into the ingest item, e.g. `customer.phone[1]`. Never the value. */
  field: string;
  code: WarningCode;
}

export type SkipReason =
  | 'not_requested'
  | 'provider_disabled'
  | 'no_customer_information'
  | 'weak_customer_information'
  | 'missing_client_user_agent'
  | 'missing_event_source_url'
  | 'event_too_old'
  | 'no_conversion_action'
  | 'no_click_id_or_identifier'
  | 'no_user_identifier'
  | 'no_order_id'
  | 'mode_not_supported'
  | 'missing_messaging_channel'
  | 'missing_messaging_identifier';

export interface Skip {
  provider: Provider;
  reason: SkipReason;
}
