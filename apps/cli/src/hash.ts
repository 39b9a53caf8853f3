import { customerSchema, hashGoogleIdentifiers, hashMetaUserData, type Customer, type Warning } from '@capconnect/core';
import { EXIT, formatTable, writeJson, writeLine, type Io } from './output.js';

/** Customer fields `capconnect hash` accepts as options (the ingest contract's names). */
export const HASHABLE_FIELDS = [
  'email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId',
] as const;

export interface HashRow {
  provider: 'meta' | 'google';
  field: string;
  digest: string;
}

/**
 * What each provider would receive for the given customer fields: the digest per provider field
 * (the same code path as ingest), plus the warnings for values that would be dropped. Plain
 * Google address parts (city, state, postal code, country) are shown as sent: they are not hashed.
 */
export function hashCustomer(customer: Customer, options: { defaultCallingCode: string; nowMs: number }): { rows: HashRow[]; plain: Record<string, string>; warnings: Warning[] } {
  const context = { defaultCallingCode: options.defaultCallingCode, nowMs: options.nowMs };
  const meta = hashMetaUserData(customer, context);
  const google = hashGoogleIdentifiers(customer, context);
  const rows: HashRow[] = [];
  for (const [field, digests] of Object.entries(meta.userData) as [string, string[]][]) {
    for (const digest of digests) rows.push({ provider: 'meta', field, digest });
  }
  for (const digest of google.hashedEmail) rows.push({ provider: 'google', field: 'hashedEmail', digest });
  for (const digest of google.hashedPhoneNumber) rows.push({ provider: 'google', field: 'hashedPhoneNumber', digest });
  for (const [field, digest] of Object.entries<string>(google.address?.hashed ?? {})) {
    rows.push({ provider: 'google', field, digest });
  }
  const plain = Object.fromEntries(Object.entries<string>(google.address?.plain ?? {}));
  const seen = new Set<string>();
  const warnings = [...meta.warnings, ...google.warnings].filter((warning) => {
    const key = `${warning.field}:${warning.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { rows, plain, warnings };
}

export function hashCommand(io: Io, input: Record<string, unknown>, options: { json?: boolean; defaultCallingCode: string }): number {
  const fields = Object.fromEntries(Object.entries(input).filter(([key, value]) => (HASHABLE_FIELDS as readonly string[]).includes(key) && value !== undefined));
  if (Object.keys(fields).length === 0) {
    writeLine(io.err, `give at least one field: ${HASHABLE_FIELDS.map((field) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' ')}`);
    return EXIT.usage;
  }
  const parsed = customerSchema.safeParse(fields);
  if (!parsed.success) {
    writeLine(io.err, `invalid input at: ${[...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ')}`);
    return EXIT.usage;
  }
  const result = hashCustomer(parsed.data, { defaultCallingCode: options.defaultCallingCode, nowMs: Date.now() });
  if (options.json) {
    writeJson(io, result);
    return EXIT.ok;
  }
  writeLine(io.out, formatTable(['provider', 'field', 'sha-256'], result.rows.map((row) => [row.provider, row.field, row.digest])));
  if (Object.keys(result.plain).length > 0) {
    writeLine(io.out, `\ngoogle addressInfo plain parts (sent unhashed): ${Object.entries(result.plain).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  for (const warning of result.warnings) writeLine(io.out, `warning: ${warning.field}: ${warning.code} (dropped)`);
  return EXIT.ok;
}
