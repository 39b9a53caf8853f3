import type { Digest, GoogleDigests } from '../types.js';

/**
 * Whether a Google conversion still has a user identifier (hashed email, phone or a complete
 * address) after consent and validation. Enhancements (and leads on the Data Manager path) match on
 * nothing else, so one without any is refused for certain: skip it at ingest with
 * `no_user_identifier` instead (docs/platforms.md#google-enhancements).
 */
export function hasUserIdentifier(digests: GoogleDigests): boolean {
  return (digests.hashedEmail?.length ?? 0) > 0
    || (digests.hashedPhoneNumber?.length ?? 0) > 0
    || digests.hashedFirstName !== undefined;
}

/** The identifiers a Google conversion keeps under its cap, and which fields lost some. */
export interface CappedIdentifiers {
  emails: Digest[];
  phones: Digest[];
  /** `customer.email` and/or `customer.phone` (in that order) when some of theirs were cut. */
  droppedFields: string[];
}

/**
 * Keeps at most `max` identifiers (an address counts as one). The first email, the first phone and
 * the address go first so that many emails do not crowd out the other kinds; then the remaining
 * emails, then the remaining phones. `max` is at least 3, so the first three always stay.
 */
export function capIdentifiers(emails: readonly Digest[], phones: readonly Digest[], hasAddress: boolean, max: number): CappedIdentifiers {
  const firstEmail = emails.length > 0 ? 1 : 0;
  const firstPhone = phones.length > 0 ? 1 : 0;
  let room = max - firstEmail - firstPhone - (hasAddress ? 1 : 0);
  const moreEmails = Math.min(emails.length - firstEmail, room);
  room -= moreEmails;
  const morePhones = Math.min(phones.length - firstPhone, room);
  const keptEmails = firstEmail + moreEmails;
  const keptPhones = firstPhone + morePhones;
  const droppedFields: string[] = [];
  if (keptEmails < emails.length) droppedFields.push('customer.email');
  if (keptPhones < phones.length) droppedFields.push('customer.phone');
  return {
    emails: emails.slice(0, keptEmails),
    phones: phones.slice(0, keptPhones),
    droppedFields,
  };
}
