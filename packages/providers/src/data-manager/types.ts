/**
 * Data Manager API wire shapes (REST, proto3 JSON, lowerCamelCase) and the event the worker hands
 * the builder. Field rules: docs/platforms.md#google-data-manager-api.
 */

/** How a conversion reaches Google: gclid import, enhanced conversions for leads, or an online (tag) conversion. */
export type DataManagerMode = 'click' | 'leads' | 'web';

export type DataManagerEventSource = 'WEB' | 'APP' | 'IN_STORE' | 'PHONE' | 'MESSAGE' | 'OTHER';

export type DataManagerConsentStatus = 'GRANTED' | 'DENIED';

/**
 * One conversion as the worker produces it from an opened job. Digests are lowercase hex SHA-256
 * of Google-normalized values; `plain` holds the never-hashed values, unsealed in memory only.
 */
export interface DataManagerEventInput {
  /** CapConnect's event id: not sent, used to report results. */
  eventId: string;
  /** The advertiser's event name: routing only, not sent. */
  eventName: string;
  /** Unix seconds. */
  eventTime: number;
  /** Google's dedup and restatement key per conversion action (our order id). Required for `web`. */
  transactionId?: string | undefined;
  /** Digits: the conversion action, sent as the destination's `productDestinationId`. */
  conversionActionId: string;
  mode: DataManagerMode;
  /** Required for `click` and `leads`; `web` defaults to WEB on Google's side. */
  eventSource?: DataManagerEventSource | undefined;
  value?: number | undefined;
  /** ISO 4217, uppercase. */
  currency?: string | undefined;
  consent?: { adUserData?: DataManagerConsentStatus | undefined; adPersonalization?: DataManagerConsentStatus | undefined } | undefined;
  digests: {
    emailAddress?: readonly string[] | undefined;
    phoneNumber?: readonly string[] | undefined;
    givenName?: string | undefined;
    familyName?: string | undefined;
  };
  plain: {
    /** ISO 3166-1 alpha-2. */
    regionCode?: string | undefined;
    postalCode?: string | undefined;
    gclid?: string | undefined;
    gbraid?: string | undefined;
    wbraid?: string | undefined;
    userAgent?: string | undefined;
    ipAddress?: string | undefined;
  };
}

export type WireConsentStatus = 'CONSENT_GRANTED' | 'CONSENT_DENIED' | 'CONSENT_STATUS_UNSPECIFIED';

export interface WireConsent {
  adUserData?: WireConsentStatus;
  adPersonalization?: WireConsentStatus;
}

export interface WireAddress {
  givenName: string;
  familyName: string;
  regionCode: string;
  postalCode: string;
}

/** A proto oneof: exactly one key per identifier. */
export type WireUserIdentifier = { emailAddress: string } | { phoneNumber: string } | { address: WireAddress };

export interface WireEvent {
  destinationReferences?: string[];
  transactionId?: string;
  eventTimestamp: string;
  eventSource?: DataManagerEventSource;
  conversionValue?: number;
  currency?: string;
  consent?: WireConsent;
  userData?: { userIdentifiers: WireUserIdentifier[] };
  adIdentifiers?: {
    gclid?: string;
    gbraid?: string;
    wbraid?: string;
    landingPageDeviceInfo?: { userAgent?: string; ipAddress?: string };
  };
}

export interface WireAccount {
  accountType: 'GOOGLE_ADS';
  accountId: string;
}

export interface WireDestination {
  reference?: string;
  loginAccount?: WireAccount;
  operatingAccount: WireAccount;
  productDestinationId: string;
}

export interface IngestEventsRequest {
  destinations: WireDestination[];
  events: WireEvent[];
  encoding: 'HEX';
  validateOnly?: boolean;
}

export interface WireFieldWarning {
  reason?: string;
  description?: string;
  field?: string;
}

export interface IngestEventsResponse {
  requestId: string;
  fieldWarnings?: WireFieldWarning[];
}

/** Where conversions go: the Ads account owning the conversion actions, and the credential's account. */
export interface DataManagerDestinationConfig {
  /** Google Ads customer id that owns the conversion actions, digits only (`GOOGLE_CUSTOMER_ID`). */
  operatingAccountId: string;
  /** The account the credential belongs to (a manager), digits only (`GOOGLE_LOGIN_CUSTOMER_ID`). Omitted ⇒ the operating account. */
  loginAccountId?: string | undefined;
}

/** An event ready for a request: its JSON (without `destinationReferences`) and its action. */
export interface BuiltDataManagerEvent {
  conversionActionId: string;
  event: WireEvent;
}
