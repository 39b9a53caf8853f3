/**
 * Which column of an export feeds which ingest field. Common CRM and spreadsheet header names are
 * recognized without configuration (compared lowercased, without spaces, dashes, dots or
 * underscores, so `E-mail`, `email_address` and `Email Address` are the same); `--map column=field`
 * sets or overrides one, `--map column=-` ignores one. Header names are not personal data, so they
 * may be printed; the values under them never are.
 */

export const CUSTOMER_FIELDS = [
  'email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId',
] as const;
export const EVENT_FIELDS = [
  'eventName', 'eventId', 'eventTime', 'value', 'currency', 'orderId', 'actionSource', 'eventSourceUrl',
  'clientIpAddress', 'clientUserAgent', 'fbc', 'fbp', 'gclid', 'gbraid', 'wbraid',
] as const;
export const CONSENT_FIELDS = ['adUserData', 'adPersonalization'] as const;

export type CustomerField = (typeof CUSTOMER_FIELDS)[number];
export type EventField = (typeof EVENT_FIELDS)[number];
export type ConsentField = (typeof CONSENT_FIELDS)[number];
export type FieldPath = `customer.${CustomerField}` | `event.${EventField}` | `consent.${ConsentField}`;

export const FIELD_PATHS: readonly FieldPath[] = [
  ...CUSTOMER_FIELDS.map((field) => `customer.${field}` as const),
  ...EVENT_FIELDS.map((field) => `event.${field}` as const),
  ...CONSENT_FIELDS.map((field) => `consent.${field}` as const),
];

/** Header names recognized without `--map`, in the normalized form of `headerKey`. The README's mapping table lists them. */
export const HEADER_ALIASES: Readonly<Record<FieldPath, readonly string[]>> = {
  'customer.email': ['email', 'emailaddress', 'mail', 'hashedemail'],
  'customer.phone': ['phone', 'phonenumber', 'mobile', 'mobilephone', 'mobilenumber', 'tel', 'telephone', 'cellphone', 'hashedphonenumber'],
  'customer.firstName': ['firstname', 'fname', 'givenname'],
  'customer.lastName': ['lastname', 'lname', 'surname', 'familyname'],
  'customer.gender': ['gender', 'sex'],
  'customer.dateOfBirth': ['dateofbirth', 'dob', 'birthdate', 'birthday'],
  'customer.city': ['city', 'town'],
  'customer.state': ['state', 'region', 'province', 'prefecture', 'stateprovince'],
  'customer.zip': ['zip', 'zipcode', 'postalcode', 'postcode', 'postal'],
  'customer.country': ['country', 'countrycode'],
  'customer.streetAddress': ['streetaddress', 'street', 'address', 'address1', 'addressline1'],
  'customer.externalId': ['externalid', 'customerid', 'userid', 'crmid', 'contactid'],
  'event.eventName': ['conversionname', 'eventname', 'conversiontype', 'conversionaction'],
  'event.eventId': ['eventid'],
  'event.eventTime': ['conversiontime', 'conversiondatetime', 'conversiondate', 'eventtime', 'timestamp', 'datetime', 'closedate', 'closedat'],
  'event.value': ['conversionvalue', 'value', 'revenue', 'amount', 'ordervalue'],
  'event.currency': ['conversioncurrency', 'currency', 'currencycode'],
  'event.orderId': ['orderid', 'transactionid', 'ordernumber', 'dealid'],
  'event.actionSource': ['actionsource'],
  'event.eventSourceUrl': ['eventsourceurl', 'pageurl'],
  'event.clientIpAddress': ['clientipaddress', 'ipaddress', 'ip'],
  'event.clientUserAgent': ['clientuseragent', 'useragent'],
  'event.fbc': ['fbc'],
  'event.fbp': ['fbp'],
  'event.gclid': ['gclid', 'googleclickid'],
  'event.gbraid': ['gbraid'],
  'event.wbraid': ['wbraid'],
  'consent.adUserData': ['aduserdata', 'aduserdataconsent', 'consentaduserdata'],
  'consent.adPersonalization': ['adpersonalization', 'adpersonalizationconsent', 'consentadpersonalization'],
};

/** `Conversion Time` → `conversiontime`; also the form a field path takes (`customer.email` → `customeremail`). */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const BY_ALIAS = new Map<string, FieldPath>();
for (const path of FIELD_PATHS) {
  BY_ALIAS.set(headerKey(path), path);
  for (const alias of HEADER_ALIASES[path]) BY_ALIAS.set(alias, path);
}

export class MappingError extends Error {
  override readonly name = 'MappingError';
}

/** `email`, `customer.email` or `Customer.Email` → `customer.email`; `-` → null (ignore the column). */
export function parseFieldName(name: string): FieldPath | null {
  if (name.trim() === '-') return null;
  const key = headerKey(name);
  const path = FIELD_PATHS.find((candidate) => headerKey(candidate) === key || headerKey(candidate.slice(candidate.indexOf('.') + 1)) === key);
  if (path === undefined) throw new MappingError(`unknown field "${name}" in --map (known: ${FIELD_PATHS.map((p) => p.slice(p.indexOf('.') + 1)).join(', ')})`);
  return path;
}

/** `--map` arguments (`column=field`) → header key → field (null = ignored). */
export function parseMapOptions(entries: readonly string[]): Map<string, FieldPath | null> {
  const overrides = new Map<string, FieldPath | null>();
  for (const entry of entries) {
    const separator = entry.lastIndexOf('=');
    if (separator <= 0) throw new MappingError('--map takes column=field, e.g. --map "Deal Amount=value"');
    overrides.set(headerKey(entry.slice(0, separator)), parseFieldName(entry.slice(separator + 1)));
  }
  return overrides;
}

/** The field each column feeds, by column position; columns that feed nothing are listed by name. */
export interface ColumnMapping {
  fields: (FieldPath | null)[];
  unused: string[];
}

const MULTI_VALUED = (path: FieldPath) => path.startsWith('customer.');

/** A known header, or a numbered customer column (`email2`, `phone 3`) feeding the same field. */
function recognize(key: string): FieldPath | null {
  const exact = BY_ALIAS.get(key);
  if (exact !== undefined) return exact;
  const numbered = BY_ALIAS.get(key.replace(/\d+$/, ''));
  return numbered !== undefined && MULTI_VALUED(numbered) ? numbered : null;
}

/**
 * Resolves a header row. Several columns may feed one customer field (`email`, `email 2`: both are
 * sent, as an array); two columns for one event or consent field are ambiguous and refused, naming
 * both columns, so the operator picks one with `--map`.
 */
export function resolveColumns(header: readonly string[], overrides: ReadonlyMap<string, FieldPath | null>): ColumnMapping {
  const fields: (FieldPath | null)[] = [];
  const unused: string[] = [];
  const owner = new Map<FieldPath, string>();
  for (const name of header) {
    const key = headerKey(name);
    const field = overrides.has(key) ? (overrides.get(key) ?? null) : recognize(key);
    if (field !== null && !MULTI_VALUED(field)) {
      const previous = owner.get(field);
      if (previous !== undefined) throw new MappingError(`columns "${previous}" and "${name}" both map to ${field}: choose one with --map "<column>=-"`);
      owner.set(field, name);
    }
    if (field === null) unused.push(name);
    fields.push(field);
  }
  return { fields, unused };
}
