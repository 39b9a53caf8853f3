import type { DataManagerDigests } from '@capconnect/core';
import { z } from 'zod';

/**
 * The one place Data Manager digests are written into a job and read back. Today a job holds them
 * as the prepared event does (lowercase hex SHA-256 under Data Manager's own field names), which is
 * also what the request sends with `encoding: HEX`. Should the job's encoding change (e.g. Base64 to
 * save Redis memory), only this file, its schema and its test change.
 */

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const digestList = z.array(digest).min(1).max(10);

export const dataManagerJobDigestsSchema = z.strictObject({
  emailAddress: digestList.exactOptional(),
  phoneNumber: digestList.exactOptional(),
  givenName: digest.exactOptional(),
  familyName: digest.exactOptional(),
});

export type DataManagerJobDigests = z.infer<typeof dataManagerJobDigestsSchema>;

/** Prepared digests → the job's form. */
export function toJobDigests(digests: DataManagerDigests): DataManagerJobDigests {
  return { ...digests };
}

/** The job's form → lowercase hex digests, as the request builder expects them. */
export function fromJobDigests(digests: DataManagerJobDigests): DataManagerDigests {
  return { ...digests };
}
