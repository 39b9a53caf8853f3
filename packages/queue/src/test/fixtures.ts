import { createHash } from 'node:crypto';
import type { DataManagerPreparedEvent, GooglePreparedEvent, MetaPreparedEvent } from '@capconnect/core';

export const sha = (value: string): string => createHash('sha256').update(value).digest('hex');

export const metaEvent: MetaPreparedEvent = {
  provider: 'meta',
  event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, value: 4980, currency: 'JPY', orderId: 'order-1', actionSource: 'website' },
  userData: { em: [sha('john.doe@example.com')], ph: [sha('819012345678')] },
  match: { clientIpAddress: '203.0.113.7', clientUserAgent: 'Mozilla/5.0 canary-agent', fbc: 'fb.1.1700000000000.IwAR-canary', eventSourceUrl: 'https://shop.example.com/thank-you' },
  dataProcessing: { options: ['LDU'], country: 0, state: 0 },
};

export const googleEvent: GooglePreparedEvent = {
  provider: 'google',
  event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, orderId: 'order-1', actionSource: 'website' },
  mode: 'click',
  conversionActionId: '123',
  adUserDataConsent: 'GRANTED',
  digests: { hashedEmail: [sha('johndoe@gmail.com')] },
  match: { gclid: 'Cj0KCQ-canary-gclid' },
};

export const dataManagerEvent: DataManagerPreparedEvent = {
  provider: 'google',
  api: 'data-manager',
  event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, value: 49.9, currency: 'EUR', orderId: 'order-1', actionSource: 'website' },
  mode: 'click',
  conversionActionId: '123',
  eventSource: 'WEB',
  transactionId: 'order-1',
  consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' },
  digests: { emailAddress: [sha('dana@example.com')], phoneNumber: [sha('+18005550100')], givenName: sha('alex'), familyName: sha('smith') },
  match: { gclid: 'Cj0KCQ-canary-gclid', userAgent: 'Mozilla/5.0 canary-agent', ipAddress: '203.0.113.7', regionCode: 'US', postalCode: '94045' },
};
