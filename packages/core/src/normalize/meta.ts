import type { Customer, CustomerValue } from '../contract.js';
import type { Digest, MetaUserDigests, Warning } from '../types.js';
import { customerCountry, type NormalizeContext } from './context.js';
import { normalizeMetaCountry } from './country.js';
import { normalizeMetaDateOfBirth } from './date-of-birth.js';
import { normalizeMetaEmail } from './email.js';
import { normalizeMetaGender } from './gender.js';
import { normalizeMetaCity, normalizeMetaExternalId, normalizeMetaName } from './names.js';
import { normalizeMetaPhone, type PhoneRegion } from './phone.js';
import { normalizeMetaPostalCode } from './postal-code.js';
import type { Normalized } from './result.js';
import { normalizeMetaState } from './state.js';
import { digestInto } from './values.js';

type MetaKey = keyof MetaUserDigests;

interface MetaFieldRule {
  key: MetaKey;
  /** The ingest contract's field name under `customer`. */
  source: keyof Customer;
  /** `customer.<source>`, the path warnings name. */
  field: string;
  normalize: (value: string, context: MetaRuleContext) => Normalized;
}

/** What some of Meta's rules need besides the value: the customer's country and the clock. */
interface MetaRuleContext {
  region: PhoneRegion;
  /** Lowercase alpha-2 of the customer's country, when known. */
  country: string | undefined;
  nowMs: number;
}

const rule = (key: MetaKey, source: keyof Customer, normalize: MetaFieldRule['normalize']): MetaFieldRule => ({
  key, source, field: `customer.${source}`, normalize,
});

/** Meta's `user_data` rules, one per key (docs/architecture.md#normalization-and-hashing). */
const META_FIELD_RULES: readonly MetaFieldRule[] = [
  rule('em', 'email', normalizeMetaEmail),
  rule('ph', 'phone', (value, context) => normalizeMetaPhone(value, context.region)),
  rule('fn', 'firstName', normalizeMetaName),
  rule('ln', 'lastName', normalizeMetaName),
  rule('ge', 'gender', normalizeMetaGender),
  rule('db', 'dateOfBirth', (value, context) => normalizeMetaDateOfBirth(value, context.nowMs)),
  rule('ct', 'city', normalizeMetaCity),
  rule('st', 'state', (value, context) => normalizeMetaState(value, context.country)),
  rule('zp', 'zip', (value, context) => normalizeMetaPostalCode(value, context.country)),
  rule('country', 'country', normalizeMetaCountry),
  rule('external_id', 'externalId', normalizeMetaExternalId),
];

export interface MetaUserData {
  userData: MetaUserDigests;
  warnings: Warning[];
}

/** Meta `user_data` digests for one customer; every list present is non-empty. */
export function hashMetaUserData(customer: Customer, context: NormalizeContext): MetaUserData {
  const userData: MetaUserDigests = {};
  const warnings: Warning[] = [];
  const alpha2 = customerCountry(customer);
  const ruleContext: MetaRuleContext = {
    region: { country: alpha2, defaultCallingCode: context.defaultCallingCode, memo: context.phoneMemo },
    country: alpha2?.toLowerCase(),
    nowMs: context.nowMs,
  };
  for (const { key, source, field, normalize } of META_FIELD_RULES) {
    const raw: CustomerValue | undefined = customer[source];
    if (raw === undefined) continue;
    const digests: Digest[] = [];
    digestInto(digests, warnings, field, raw, normalize, ruleContext, context.digestMemo);
    if (digests.length > 0) {
      userData[key] = digests;
    }
  }
  return { userData, warnings };
}
