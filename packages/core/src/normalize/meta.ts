import type { Customer, CustomerValue } from '../contract.js';
import type { MetaUserDigests, Warning } from '../types.js';
import { customerCountry, type NormalizeContext } from './context.js';
import { normalizeMetaCountry } from './country.js';
import { normalizeMetaDateOfBirth } from './date-of-birth.js';
import { normalizeMetaEmail } from './email.js';
import { normalizeMetaGender } from './gender.js';
import { normalizeMetaCity, normalizeMetaExternalId, normalizeMetaName } from './names.js';
import { normalizeMetaPhone } from './phone.js';
import { normalizeMetaPostalCode } from './postal-code.js';
import type { Normalizer } from './result.js';
import { normalizeMetaState } from './state.js';
import { digestValues } from './values.js';

type MetaKey = keyof MetaUserDigests;

interface MetaFieldRule {
  key: MetaKey;
  /** The ingest contract's field name under `customer`. */
  source: keyof Customer;
  normalize: Normalizer;
}

/** Meta's `user_data` rules, one per key (docs/architecture.md#normalization-and-hashing). */
export function metaFieldRules(customer: Customer, context: NormalizeContext): MetaFieldRule[] {
  const alpha2 = customerCountry(customer);
  const country = alpha2?.toLowerCase();
  const region = { country: alpha2, defaultCallingCode: context.defaultCallingCode, memo: context.phoneMemo };
  return [
    { key: 'em', source: 'email', normalize: normalizeMetaEmail },
    { key: 'ph', source: 'phone', normalize: (value) => normalizeMetaPhone(value, region) },
    { key: 'fn', source: 'firstName', normalize: normalizeMetaName },
    { key: 'ln', source: 'lastName', normalize: normalizeMetaName },
    { key: 'ge', source: 'gender', normalize: normalizeMetaGender },
    { key: 'db', source: 'dateOfBirth', normalize: (value) => normalizeMetaDateOfBirth(value, context.nowMs) },
    { key: 'ct', source: 'city', normalize: normalizeMetaCity },
    { key: 'st', source: 'state', normalize: (value) => normalizeMetaState(value, country) },
    { key: 'zp', source: 'zip', normalize: (value) => normalizeMetaPostalCode(value, country) },
    { key: 'country', source: 'country', normalize: normalizeMetaCountry },
    { key: 'external_id', source: 'externalId', normalize: normalizeMetaExternalId },
  ];
}

export interface MetaUserData {
  userData: MetaUserDigests;
  warnings: Warning[];
}

/** Meta `user_data` digests for one customer; every list present is non-empty. */
export function hashMetaUserData(customer: Customer, context: NormalizeContext): MetaUserData {
  const userData: MetaUserDigests = {};
  const warnings: Warning[] = [];
  for (const rule of metaFieldRules(customer, context)) {
    const raw: CustomerValue | undefined = customer[rule.source];
    const result = digestValues(`customer.${rule.source}`, raw, rule.normalize, context.digestMemo);
    warnings.push(...result.warnings);
    if (result.digests.length > 0) {
      userData[rule.key] = result.digests;
    }
  }
  return { userData, warnings };
}
