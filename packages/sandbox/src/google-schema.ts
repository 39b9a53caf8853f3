import { isPlainObject } from './http.js';

/**
 * The REST transcoder's view of the request protos (docs/platforms.md#google-click-conversions, docs/platforms.md#google-enhancements; proto files
 * conversion_upload_service.proto, conversion_adjustment_upload_service.proto, offline_user_data.proto):
 * JSON that names a field the proto does not have, or gives a wrong type or enum value, is refused for the
 * whole request before any row is looked at. This is what catches `userAgent` on a ClickConversion and the
 * `debugEnabled` flag removed in v21.
 */
type Field =
  | 'string' | 'double' | 'int' | 'bool'
  | { enumName: string; values: ReadonlySet<string> }
  | { object: Schema }
  | { list: Field };
type Schema = Readonly<Record<string, Field>>;

const enumOf = (enumName: string, ...values: string[]): Field => ({ enumName, values: new Set(values) });
const CONSENT_STATUS = enumOf('ConsentStatusEnum.ConsentStatus', 'UNSPECIFIED', 'UNKNOWN', 'GRANTED', 'DENIED');

const ADDRESS_INFO: Schema = {
  hashedFirstName: 'string', hashedLastName: 'string', city: 'string', state: 'string', countryCode: 'string',
  postalCode: 'string', hashedStreetAddress: 'string',
};
const USER_IDENTIFIER: Schema = {
  userIdentifierSource: enumOf('UserIdentifierSourceEnum.UserIdentifierSource', 'UNSPECIFIED', 'UNKNOWN', 'FIRST_PARTY', 'THIRD_PARTY'),
  hashedEmail: 'string', hashedPhoneNumber: 'string', mobileId: 'string', thirdPartyUserId: 'string',
  addressInfo: { object: ADDRESS_INFO },
};

const CLICK_CONVERSION: Schema = {
  gclid: 'string', gbraid: 'string', wbraid: 'string', conversionAction: 'string', conversionDateTime: 'string',
  conversionValue: 'double', currencyCode: 'string', orderId: 'string',
  externalAttributionData: { object: { externalAttributionCredit: 'double', externalAttributionModel: 'string' } },
  customVariables: { list: { object: { conversionCustomVariable: 'string', value: 'string' } } },
  cartData: {
    object: {
      merchantId: 'int', feedCountryCode: 'string', feedLanguageCode: 'string', localTransactionCost: 'double',
      items: { list: { object: { productId: 'string', quantity: 'int', unitPrice: 'double' } } },
    },
  },
  userIdentifiers: { list: { object: USER_IDENTIFIER } },
  conversionEnvironment: enumOf('ConversionEnvironmentEnum.ConversionEnvironment', 'UNSPECIFIED', 'UNKNOWN', 'APP', 'WEB'),
  consent: { object: { adUserData: CONSENT_STATUS, adPersonalization: CONSENT_STATUS } },
  customerType: enumOf('ConversionCustomerTypeEnum.ConversionCustomerType', 'UNSPECIFIED', 'UNKNOWN', 'NEW', 'RETURNING'),
  userIpAddress: 'string', sessionAttributesEncoded: 'string',
  sessionAttributesKeyValuePairs: { object: { keyValuePairs: { list: { object: { sessionAttributeKey: 'string', sessionAttributeValue: 'string' } } } } },
};

const CONVERSION_ADJUSTMENT: Schema = {
  gclidDateTimePair: { object: { gclid: 'string', conversionDateTime: 'string' } },
  orderId: 'string', conversionAction: 'string', adjustmentDateTime: 'string',
  adjustmentType: enumOf('ConversionAdjustmentTypeEnum.ConversionAdjustmentType', 'UNSPECIFIED', 'UNKNOWN', 'RETRACTION', 'RESTATEMENT', 'ENHANCEMENT'),
  restatementValue: { object: { adjustedValue: 'double', currencyCode: 'string' } },
  userIdentifiers: { list: { object: USER_IDENTIFIER } },
  userAgent: 'string',
};

export const UPLOAD_CLICK_CONVERSIONS_REQUEST: Schema = {
  customerId: 'string', conversions: { list: { object: CLICK_CONVERSION } }, partialFailure: 'bool', validateOnly: 'bool', jobId: 'int',
};
export const UPLOAD_CONVERSION_ADJUSTMENTS_REQUEST: Schema = {
  customerId: 'string', conversionAdjustments: { list: { object: CONVERSION_ADJUSTMENT } }, partialFailure: 'bool', validateOnly: 'bool', jobId: 'int',
};

export interface SchemaViolation {
  field: string;
  description: string;
}

const NUMERIC = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const INTEGER = /^-?\d+$/;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function typeOk(field: 'string' | 'double' | 'int' | 'bool', value: unknown): boolean {
  switch (field) {
    case 'string': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean';
    // proto3 JSON accepts numbers or their decimal strings for doubles and integers.
    case 'double': return (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && NUMERIC.test(value));
    case 'int': return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INTEGER.test(value));
  }
}

function checkValue(field: Field, value: unknown, path: string, version: string): SchemaViolation | undefined {
  if (value === null) return undefined;
  if (typeof field === 'string') {
    if (typeOk(field, value)) return undefined;
    return { field: path, description: `Invalid value at '${path}' (TYPE_${field.toUpperCase()}), ${JSON.stringify(value)}` };
  }
  if ('values' in field) {
    if (typeof value === 'string' && field.values.has(value)) return undefined;
    return {
      field: path,
      description: `Invalid value at '${path}' (type.googleapis.com/google.ads.googleads.${version}.enums.${field.enumName}), ${JSON.stringify(value)}`,
    };
  }
  if ('list' in field) {
    if (!Array.isArray(value)) return { field: path, description: `Invalid value at '${path}', expected a list.` };
    for (let i = 0; i < value.length; i++) {
      const found = checkValue(field.list, value[i], `${path}[${i}]`, version);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return { field: path, description: `Invalid value at '${path}', expected an object.` };
  return checkObject(field.object, value, path, version);
}

function checkObject(schema: Schema, value: Record<string, unknown>, path: string, version: string): SchemaViolation | undefined {
  for (const key in value) {
    const field = schema[key];
    if (field === undefined) {
      return { field: path, description: `Invalid JSON payload received. Unknown name "${key}"${path === '' ? '' : ` at '${path}'`}: Cannot find field.` };
    }
    const found = checkValue(field, value[key], path === '' ? snake(key) : `${path}.${snake(key)}`, version);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** First place where `body` does not fit the request proto, or undefined. */
export function checkRequestShape(schema: Schema, body: Record<string, unknown>, version: string): SchemaViolation | undefined {
  return checkObject(schema, body, '', version);
}
