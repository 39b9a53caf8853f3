import type { GoogleDigests } from '../types.js';

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
