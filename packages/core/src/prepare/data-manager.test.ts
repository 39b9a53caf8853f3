/** Data Manager eligibility and the prepared event (docs/platforms.md#google-data-manager-api). */
import { describe, expect, it } from 'vitest';
import { parseIngestItem, type IngestItem } from '../contract.js';
import { sha256Hex } from '../hash.js';
import type { DataManagerPreparedEvent, GoogleMode, Skip } from '../types.js';
import { DERIVED_TRANSACTION_ID_PREFIX, dataManagerEventSource, dataManagerTransactionId } from './data-manager.js';
import { prepareEvent, type PrepareOptions } from './prepare-event.js';

const NOW_MS = Date.UTC(2026, 10, 1, 12);
const NOW_S = NOW_MS / 1000;

const options = (mode: GoogleMode = 'click'): PrepareOptions => ({
  nowMs: NOW_MS,
  defaultCallingCode: '1',
  meta: { enabled: false },
  google: { enabled: true, api: 'data-manager', actions: new Map([['Purchase', { id: '123', mode }]]) },
});

function item(patch: { customer?: object; event?: object; consent?: object } = {}): IngestItem {
  const parsed = parseIngestItem({
    customer: { email: 'Dana@Example.com', phone: '(800) 555-0100', ...patch.customer },
    event: { eventName: 'Purchase', eventId: 'evt-1', eventTime: NOW_S - 60, orderId: 'order-1', gclid: 'Cj0KCQ', ...patch.event },
    ...(patch.consent === undefined ? {} : { consent: patch.consent }),
  }, { nowMs: NOW_MS });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.item;
}

function dmOf(result: ReturnType<typeof prepareEvent>): DataManagerPreparedEvent {
  const found = result.prepared.find((event): event is DataManagerPreparedEvent => event.provider === 'google' && event.api === 'data-manager');
  if (found === undefined) throw new Error(`google skipped: ${JSON.stringify(result.skipped)}`);
  return found;
}

const EMAIL_VECTOR = '07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3';
const PHONE_VECTOR = 'fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30';

describe('a Data Manager click conversion', () => {
  it('carries Google\'s official vectors under the Data Manager field names, the order id as transaction id', () => {
    const prepared = dmOf(prepareEvent(item({ consent: { adUserData: 'granted', adPersonalization: 'denied' } }), options()));
    expect(prepared).toEqual({
      provider: 'google', api: 'data-manager', mode: 'click', conversionActionId: '123', eventSource: 'WEB', transactionId: 'order-1',
      event: expect.objectContaining({ eventId: 'evt-1', orderId: 'order-1' }) as unknown,
      consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' },
      digests: { emailAddress: [EMAIL_VECTOR], phoneNumber: [PHONE_VECTOR] },
      match: { gclid: 'Cj0KCQ' },
    });
  });

  it('sends the address with names by the Data Manager rules, region and postal code plain (sealed in the job)', () => {
    const prepared = dmOf(prepareEvent(item({ customer: { firstName: ' Mrs. Alex ', lastName: 'Smith, Jr.', country: 'us', zip: '94045' } }), options()));
    expect(prepared.digests).toMatchObject({ givenName: sha256Hex('alex'), familyName: sha256Hex('smith') });
    expect(prepared.match).toMatchObject({ regionCode: 'US', postalCode: '94045' });
  });

  it('sends the landing page user agent and IP, unless ad-user-data consent is denied, which also drops every identifier', () => {
    const granted = dmOf(prepareEvent(item({ event: { clientUserAgent: 'Mozilla/5.0', clientIpAddress: '203.0.113.7' } }), options()));
    expect(granted.match).toEqual({ gclid: 'Cj0KCQ', userAgent: 'Mozilla/5.0', ipAddress: '203.0.113.7' });
    const denied = dmOf(prepareEvent(item({ event: { clientUserAgent: 'Mozilla/5.0', clientIpAddress: '203.0.113.7' }, consent: { adUserData: 'denied' } }), options()));
    expect(denied.match).toEqual({ gclid: 'Cj0KCQ' });
    expect(denied.digests).toEqual({});
    expect(denied.consent).toEqual({ adUserData: 'DENIED' });
  });

  it('keeps at most 10 identifiers and says which field lost values', () => {
    const emails = Array.from({ length: 10 }, (_, i) => `user${i}@example.com`);
    const result = prepareEvent(item({ customer: { email: emails, phone: ['+18005550100', '+18005550101'] } }), options());
    const { digests } = dmOf(result);
    expect((digests.emailAddress?.length ?? 0) + (digests.phoneNumber?.length ?? 0)).toBe(10);
    expect(digests.phoneNumber).toHaveLength(1);
    expect(result.warnings).toContainEqual({ field: 'customer.email', code: 'too_many_identifiers' });
  });

  it('never sends gbraid and wbraid together', () => {
    expect(dmOf(prepareEvent(item({ event: { gclid: undefined, gbraid: 'GB', wbraid: 'WB' } }), options())).match).toEqual({ gbraid: 'GB' });
  });
});

describe('transaction id', () => {
  it('is the order id, else a stable 35-character id derived from the event id', () => {
    expect(dataManagerTransactionId({ eventId: 'e', orderId: 'o-1' })).toBe('o-1');
    const derived = dataManagerTransactionId({ eventId: 'evt-without-order' });
    expect(derived).toBe(`${DERIVED_TRANSACTION_ID_PREFIX}${sha256Hex('evt-without-order').slice(0, 32)}`);
    expect(derived).toHaveLength(35);
    expect(dmOf(prepareEvent(item({ event: { orderId: undefined } }), options())).transactionId).toBe(dataManagerTransactionId({ eventId: 'evt-1' }));
  });
});

describe('event source from the action source', () => {
  it.each([
    ['website', 'WEB'], ['app', 'APP'], ['physical_store', 'IN_STORE'], ['phone_call', 'PHONE'], ['chat', 'MESSAGE'],
    ['business_messaging', 'MESSAGE'], ['email', 'OTHER'], ['system_generated', 'OTHER'], ['other', 'OTHER'],
  ] as const)('%s → %s', (actionSource, eventSource) => {
    expect(dataManagerEventSource(actionSource)).toBe(eventSource);
    expect(dmOf(prepareEvent(item({ event: { actionSource } }), options())).eventSource).toBe(eventSource);
  });
});

describe('eligibility', () => {
  const skipped = (result: ReturnType<typeof prepareEvent>): Skip[] => result.skipped.filter((skip) => skip.provider === 'google');
  it.each([
    ['click without click id or identifier', 'click', item({ customer: { email: undefined, phone: undefined }, event: { gclid: undefined } }), 'no_click_id_or_identifier'],
    ['click with denied consent and no click id', 'click', item({ event: { gclid: undefined }, consent: { adUserData: 'denied' } }), 'no_click_id_or_identifier'],
    ['leads without user identifier', 'leads', item({ customer: { email: undefined, phone: undefined } }), 'no_user_identifier'],
    ['leads with denied consent', 'leads', item({ consent: { adUserData: 'denied' } }), 'no_user_identifier'],
    ['web without order id', 'web', item({ event: { orderId: undefined } }), 'no_order_id'],
    ['enhancement (Google Ads API only)', 'enhancement', item(), 'mode_not_supported'],
  ] as const)('%s → %s', (_name, mode, input, reason) => {
    expect(skipped(prepareEvent(input, options(mode)))).toEqual([{ provider: 'google', reason }]);
  });

  it('takes a click with only a landing-page IP, and leads with only an email', () => {
    expect(dmOf(prepareEvent(item({ customer: { email: undefined, phone: undefined }, event: { gclid: undefined, clientIpAddress: '203.0.113.7' } }), options())).match)
      .toEqual({ ipAddress: '203.0.113.7' });
    expect(dmOf(prepareEvent(item({ customer: { phone: undefined }, event: { gclid: undefined } }), options('leads'))).digests).toEqual({ emailAddress: [EMAIL_VECTOR] });
  });
});
