import { hashGoogleIdentifiers, hashMetaUserData, parseIngestItem, type ContractIssue, type Provider } from '@capconnect/core';
import type { ImportItem } from './row.js';

/**
 * The dry run's view of a row: the contract check the api would make (the same `parseIngestItem`)
 * and which match keys each provider would get after normalization: email, phone, address, click
 * id. Shares are over the rows each provider would receive.
 */

export const MATCH_KEYS = ['email', 'phone', 'address', 'clickId'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

export interface Coverage {
  rows: number;
  keys: Record<MatchKey, number>;
}

export type CoverageByProvider = Record<Provider, Coverage>;

export function emptyCoverage(): CoverageByProvider {
  const empty = (): Coverage => ({ rows: 0, keys: { email: 0, phone: 0, address: 0, clickId: 0 } });
  return { meta: empty(), google: empty() };
}

const present = (value: string | number | undefined) => value !== undefined && String(value).trim() !== '';

/** Validates `item` as the api would; when valid, adds its match keys to `coverage` for each provider it would reach. */
export function checkItem(item: ImportItem, coverage: CoverageByProvider, context: { nowMs: number; defaultCallingCode: string }): ContractIssue[] | undefined {
  const parsed = parseIngestItem(item, { nowMs: context.nowMs });
  if (!parsed.ok) return parsed.issues;
  const normalize = { nowMs: context.nowMs, defaultCallingCode: context.defaultCallingCode, phoneMemo: new Map<string, string | undefined>() };
  const reaches = (provider: Provider) => item.destinations?.includes(provider) ?? true;
  if (reaches('meta')) {
    const { userData } = hashMetaUserData(parsed.item.customer, normalize);
    const meta = coverage.meta;
    meta.rows += 1;
    if (userData.em) meta.keys.email += 1;
    if (userData.ph) meta.keys.phone += 1;
    if (userData.ct ?? userData.st ?? userData.zp) meta.keys.address += 1;
    if (present(item.event['fbc'])) meta.keys.clickId += 1;
  }
  if (reaches('google')) {
    const identifiers = hashGoogleIdentifiers(parsed.item.customer, normalize);
    const google = coverage.google;
    google.rows += 1;
    if (identifiers.hashedEmail.length > 0) google.keys.email += 1;
    if (identifiers.hashedPhoneNumber.length > 0) google.keys.phone += 1;
    if (identifiers.address) google.keys.address += 1;
    if (present(item.event['gclid']) || present(item.event['gbraid']) || present(item.event['wbraid'])) google.keys.clickId += 1;
  }
  return undefined;
}
