import { describe, expect, it } from 'vitest';
import { PermanentError } from '../errors.js';
import { metaPrepared, nowS, sha } from '../test/fixtures.js';
import { buildMetaBody, buildMetaEvent, metaExpiresAtMs, prevalidateMetaEvent } from './payload.js';

describe('buildMetaEvent', () => {
  it('maps a prepared event onto Meta server-event fields, match fields unsealed in place', () => {
    const prepared = metaPrepared(
      { eventId: 'order-2025-0001', eventTime: 1_764_300_000, contents: [{ id: 'sku-1', quantity: 2, itemPrice: 2490 }] },
      { fbp: 'fb.1.1700000000000.123', customData: { coupon: 'X', value: 1 } },
    );
    prepared.dataProcessing = { options: ['LDU'], country: 0, state: 0 };
    expect(buildMetaEvent(prepared)).toEqual({
      event_name: 'Purchase',
      event_time: 1_764_300_000,
      action_source: 'website',
      event_id: 'order-2025-0001',
      event_source_url: 'https://shop.example.com/thanks',
      user_data: {
        em: [sha('john_smith@gmail.com')], ph: [sha('16505551212')],
        client_ip_address: '203.0.113.7', client_user_agent: 'Mozilla/5.0 (canary)',
        fbc: 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890', fbp: 'fb.1.1700000000000.123',
      },
      custom_data: {
        coupon: 'X', value: 4980, currency: 'JPY', order_id: 'order-1',
        contents: [{ id: 'sku-1', quantity: 2, item_price: 2490 }], content_ids: ['sku-1'], content_type: 'product',
      },
      data_processing_options: ['LDU'], data_processing_options_country: 0, data_processing_options_state: 0,
    });
  });

  it('sends every digest the job holds, and nothing for the fields it lacks', () => {
    const all = { em: [sha('a')], ph: [sha('b')], fn: [sha('c')], ln: [sha('d')], ge: [sha('e')], db: [sha('f')], ct: [sha('g')], st: [sha('h')], zp: [sha('i')], country: [sha('j')], external_id: [sha('k')] };
    const full = buildMetaEvent({ ...metaPrepared({}, {}), userData: all, match: { clientIpAddress: '203.0.113.9' } });
    expect(JSON.parse(JSON.stringify(full.user_data))).toEqual({ ...all, client_ip_address: '203.0.113.9' });
    const sparse = buildMetaEvent({ ...metaPrepared({}, {}), userData: { em: [sha('a')] }, match: {} });
    expect(JSON.stringify(sparse.user_data)).toBe(JSON.stringify({ em: [sha('a')] }));
  });

  it('leaves out what the event does not have', () => {
    const prepared = metaPrepared({ actionSource: 'physical_store' }, {});
    const bare = { ...prepared, event: { eventName: 'Lead', eventId: 'l-1', eventTime: 1, actionSource: 'physical_store' as const }, match: {} };
    const event = buildMetaEvent(bare);
    expect(event).not.toHaveProperty('custom_data');
    expect(event).not.toHaveProperty('event_source_url');
    expect(event).not.toHaveProperty('data_processing_options');
    expect(buildMetaBody([event], 'tok')).toEqual({ data: [event], access_token: 'tok' });
    expect(buildMetaBody([event], 'tok', 'TEST1')).toEqual({ data: [event], access_token: 'tok', test_event_code: 'TEST1' });
  });
});

describe('prevalidateMetaEvent', () => {
  const now = Date.now();
  const day = 86_400;
  it.each([
    ['a fresh website event', {}, {}, undefined],
    ['an event 6 days old', { eventTime: nowS() - 6 * day }, {}, undefined],
    ['an event 7 days old', { eventTime: nowS() - 7 * day }, {}, 'expired'],
    ['a physical_store event 61 days old', { eventTime: nowS() - 61 * day, actionSource: 'physical_store' as const }, {}, undefined],
    ['a physical_store event 63 days old', { eventTime: nowS() - 63 * day, actionSource: 'physical_store' as const }, {}, 'expired'],
    ['a website event without a URL', {}, { eventSourceUrl: undefined }, 'missing_event_source_url'],
    ['a website event without a user agent', {}, { clientUserAgent: undefined }, 'missing_client_user_agent'],
  ])('%s → %s', (_name, event, match, reason) => {
    const prepared = metaPrepared(event);
    const cleaned = Object.fromEntries(Object.entries({ ...prepared.match, ...match }).filter(([, v]) => v !== undefined));
    const built = buildMetaEvent({ ...prepared, match: cleaned });
    if (reason === undefined) expect(() => { prevalidateMetaEvent(built, now); }).not.toThrow();
    else expect(() => { prevalidateMetaEvent(built, now); }).toThrow(expect.objectContaining({ reason }) as PermanentError);
  });

  it('refuses customer information Meta calls too weak (baseline matching rule)', () => {
    const weak = buildMetaEvent({ ...metaPrepared({ actionSource: 'email' }, {}), userData: { fn: [sha('mary')], ge: [sha('f')] }, match: {} });
    expect(() => { prevalidateMetaEvent(weak, now); }).toThrow(expect.objectContaining({ reason: 'weak_customer_information' }) as PermanentError);
    const none = buildMetaEvent({ ...metaPrepared({ actionSource: 'email' }, {}), userData: {}, match: {} });
    expect(() => { prevalidateMetaEvent(none, now); }).toThrow(expect.objectContaining({ reason: 'no_customer_information' }) as PermanentError);
  });

  it('expires a minute before Meta would, so a batch never carries a stale event', () => {
    expect(metaExpiresAtMs({ eventTime: 1000, actionSource: 'website' })).toBe((1000 + 7 * day) * 1000 - 60_000);
  });
});

describe('business-messaging events', () => {
  const chat = (match: Parameters<typeof metaPrepared>[1]) => {
    const prepared = metaPrepared({ actionSource: 'business_messaging' }, match);
    prepared.userData = {};
    prepared.match = { ...match };
    return prepared;
  };

  it('puts the channel on the event and the conversation ids in user_data, unhashed', () => {
    const built = buildMetaEvent(chat({ messagingChannel: 'messenger', pageId: '1122334455', pageScopedUserId: '99887766' }));
    expect(built.messaging_channel).toBe('messenger');
    expect(built.action_source).toBe('business_messaging');
    expect(JSON.parse(JSON.stringify(built.user_data))).toEqual({ page_id: '1122334455', page_scoped_user_id: '99887766' });
    const whatsapp = buildMetaEvent(chat({ messagingChannel: 'whatsapp', ctwaClid: 'ARAkLk-canary' }));
    expect(JSON.parse(JSON.stringify(whatsapp))).toMatchObject({ messaging_channel: 'whatsapp', user_data: { ctwa_clid: 'ARAkLk-canary' } });
    const instagram = buildMetaEvent(chat({ messagingChannel: 'instagram', igAccountId: '17841400000', igSid: '12345' }));
    expect(JSON.parse(JSON.stringify(instagram.user_data))).toEqual({ ig_account_id: '17841400000', ig_sid: '12345' });
    expect(() => { prevalidateMetaEvent(instagram, Date.now()); }).not.toThrow();
  });

  it('leaves messaging_channel out of every other event', () => {
    expect(buildMetaEvent(metaPrepared())).not.toHaveProperty('messaging_channel');
  });

  it.each([
    [{ ctwaClid: 'ARAkLk' }, 'missing_messaging_channel'],
    [{ messagingChannel: 'whatsapp' as const, pageId: '1', pageScopedUserId: '2' }, 'missing_messaging_identifier'],
    [{ messagingChannel: 'messenger' as const, pageId: '1' }, 'missing_messaging_identifier'],
  ])('refuses %j alone before batching (%s)', (match, reason) => {
    expect(() => { prevalidateMetaEvent(buildMetaEvent(chat(match)), Date.now()); }).toThrow(expect.objectContaining({ reason }) as Error);
  });
});
