import type { DataManagerDigests } from '@capconnect/core';
import { z } from 'zod';
import { packDigests, packedDigestsSchema, unpackDigests, type DigestField } from './packed-digests.js';

/**
 * The one place Data Manager digests are written into a job and read back. A v3 job packs them
 * (packed-digests.ts: one base64url string for all of them); a v2 job held them as the prepared
 * event does (lowercase hex SHA-256 under Data Manager's own field names). Either way the reader
 * gets lowercase hex, which is what the request sends with `encoding: HEX`.
 */

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const digestList = z.array(digest).min(1).max(10);

/** Data Manager digests in a v2 job. */
export const dataManagerJobDigestsV2Schema = z.strictObject({
  emailAddress: digestList.exactOptional(),
  phoneNumber: digestList.exactOptional(),
  givenName: digest.exactOptional(),
  familyName: digest.exactOptional(),
});

export type DataManagerJobDigestsV2 = z.infer<typeof dataManagerJobDigestsV2Schema>;

/** The packing order of a v3 job: never reorder (jobs in Redis are read with it), only append. */
export const DATA_MANAGER_DIGEST_FIELDS = [
  ['emailAddress', 'list'], ['phoneNumber', 'list'], ['givenName', 'one'], ['familyName', 'one'],
] as const satisfies readonly DigestField<keyof DataManagerDigests>[];
const FIELDS = DATA_MANAGER_DIGEST_FIELDS;

/** Data Manager digests in a v3 job. */
export const dataManagerJobDigestsSchema = packedDigestsSchema(FIELDS);

export type DataManagerJobDigests = z.infer<typeof dataManagerJobDigestsSchema>;

/** Prepared digests → the v3 job's form; undefined when there are none. */
export function toJobDigests(digests: DataManagerDigests): DataManagerJobDigests | undefined {
  return packDigests(FIELDS, digests);
}

/** The job's form (v3 packed, or a v2 object) → lowercase hex digests, as the request builder expects them; undefined when a packed string does not add up. */
export function fromJobDigests(digests: DataManagerJobDigests | DataManagerJobDigestsV2 | undefined): DataManagerDigests | undefined {
  if (digests === undefined) return {};
  if (typeof digests !== 'string') return { ...digests };
  return unpackDigests(FIELDS, digests) as DataManagerDigests | undefined;
}
