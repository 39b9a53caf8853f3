import type { ActionSource, MetaMatchFields, SkipReason } from './types.js';

/**
 * Business-messaging events (Conversions API for Business Messaging): a conversion that happened in
 * a WhatsApp, Messenger or Instagram Direct conversation an ad started. `action_source` is
 * `business_messaging`, the event names its `messaging_channel`, and `user_data` carries the ids
 * that channel hands the business (none of them hashed). docs/platforms.md#meta-business-messaging
 */
export const MESSAGING_CHANNELS = ['whatsapp', 'messenger', 'instagram'] as const;
export type MessagingChannel = (typeof MESSAGING_CHANNELS)[number];

/** The match fields each channel needs so Meta can tie the event to the ad click (camelCase keys). */
export const MESSAGING_IDENTIFIERS: Readonly<Record<MessagingChannel, readonly (keyof MetaMatchFields)[]>> = {
  whatsapp: ['ctwaClid'],
  messenger: ['pageId', 'pageScopedUserId'],
  instagram: ['igAccountId', 'igSid'],
};

/** Our camelCase match-field names → Meta's `user_data` keys, for the messaging ids. */
export const MESSAGING_USER_DATA_KEYS = {
  ctwaClid: 'ctwa_clid',
  pageId: 'page_id',
  pageScopedUserId: 'page_scoped_user_id',
  igAccountId: 'ig_account_id',
  igSid: 'ig_sid',
} as const satisfies Partial<Record<keyof MetaMatchFields, string>>;

/**
 * Why Meta would refuse a business-messaging event, or undefined: `business_messaging` needs a
 * channel, and the channel needs its ids.
 */
export function messagingSkipReason(actionSource: ActionSource, match: MetaMatchFields): SkipReason | undefined {
  if (actionSource !== 'business_messaging') return undefined;
  const channel = match.messagingChannel;
  if (channel === undefined) return 'missing_messaging_channel';
  if (MESSAGING_IDENTIFIERS[channel].some((field) => match[field] === undefined)) return 'missing_messaging_identifier';
  return undefined;
}
