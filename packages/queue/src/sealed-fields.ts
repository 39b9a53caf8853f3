import type { DataManagerMatchFields, GoogleMatchFields, MetaMatchFields } from '@capconnect/core';

/**
 * The sealed plaintext of a v3 job (docs/architecture.md#job-schema): the match fields' JSON with
 * one-letter keys, so every sealed blob is shorter by the length of the field names (times 4/3 for
 * base64url). Every field name is longer than one letter, so a one-letter key is always an alias;
 * a field the map does not know (none today: the maps are complete by type) keeps its name.
 * Values, `customData` included, are kept as they are. v1 and v2 jobs sealed the full names.
 */

/** Never change an alias (sealed jobs in Redis are read with it); a new field gets a new letter. */
const META = {
  clientIpAddress: 'i', clientUserAgent: 'u', fbc: 'c', fbp: 'p', eventSourceUrl: 'l', customData: 'd',
  ctwaClid: 'w', pageId: 'g', pageScopedUserId: 's', igAccountId: 'a', igSid: 'x', messagingChannel: 'm',
} as const satisfies Record<keyof MetaMatchFields, string>;

const GOOGLE_ADS = {
  gclid: 'g', gbraid: 'b', wbraid: 'w', userAgent: 'u', city: 'c', state: 's', postalCode: 'p', countryCode: 'r',
} as const satisfies Record<keyof GoogleMatchFields, string>;

const DATA_MANAGER = {
  gclid: 'g', gbraid: 'b', wbraid: 'w', userAgent: 'u', ipAddress: 'i', regionCode: 'r', postalCode: 'p',
} as const satisfies Record<keyof DataManagerMatchFields, string>;

/** Which alias map a job's sealed part uses. */
export type SealedKind = 'meta' | 'ads' | 'dm';

const ALIASES: Record<SealedKind, Readonly<Record<string, string>>> = { meta: META, ads: GOOGLE_ADS, dm: DATA_MANAGER };
const NAMES: Record<SealedKind, ReadonlyMap<string, string>> = {
  meta: new Map(Object.entries(META).map(([name, alias]) => [alias, name])),
  ads: new Map(Object.entries(GOOGLE_ADS).map(([name, alias]) => [alias, name])),
  dm: new Map(Object.entries(DATA_MANAGER).map(([name, alias]) => [alias, name])),
};

/** Every alias map, for tests: each alias one letter, unique within its map. */
export const SEALED_FIELD_ALIASES: Readonly<Record<SealedKind, Readonly<Record<string, string>>>> = ALIASES;

/** Match fields → the JSON text a v3 job seals. */
export function sealedText(kind: SealedKind, match: object): string {
  const aliases = ALIASES[kind];
  const short: Record<string, unknown> = {};
  for (const name in match) short[aliases[name] ?? name] = (match as Record<string, unknown>)[name];
  return JSON.stringify(short);
}

/** The parsed plaintext of a v3 job's sealed part → match fields under their names; undefined for an alias no map knows. */
export function matchFieldsOf(kind: SealedKind, short: Record<string, unknown>): Record<string, unknown> | undefined {
  const names = NAMES[kind];
  const match: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(short)) {
    if (key === '__proto__') return undefined;
    if (key.length > 1) {
      match[key] = value;
      continue;
    }
    const name = names.get(key);
    if (name === undefined) return undefined;
    match[name] = value;
  }
  return match;
}
