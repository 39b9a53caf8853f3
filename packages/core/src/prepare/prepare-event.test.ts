/** Routing and eligibility at ingest (docs/architecture.md#eligibility-and-routing): who takes the event, who does not and why. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIngestItem, type IngestItem } from '../contract.js';
import { deriveEventId } from '../event-id.js';
import { EMPTY_STRING_DIGEST, sha256Hex } from '../hash.js';
import { prepareEvent, type PrepareOptions } from './prepare-event.js';
import type { GooglePreparedEvent, MetaPreparedEvent, Skip } from '../types.js';

const NOW_MS = Date.UTC(2026, 9, 1, 12);
const NOW_S = NOW_MS / 1000;
const DAY_S = 86_400;
const h = sha256Hex;

const OPTIONS: PrepareOptions = {
  nowMs: NOW_MS,
  defaultCallingCode: '81',
  meta: { enabled: true },
  google: {
    enabled: true,
    actions: new Map([
      ['Purchase', { id: '123', mode: 'click' }],
      ['Enhance', { id: '456', mode: 'enhancement' }],
    ]),
  },
};

/** A website purchase both providers take. `patch` replaces sections shallowly. */
function item(patch: { customer?: object; event?: object; consent?: object; destinations?: string[] } = {}): IngestItem {
  const input = {
    customer: { email: 'a@example.com', phone: '090-1234-5678', ...patch.customer },
    event: {
      eventName: 'Purchase', eventId: 'evt-1', eventTime: NOW_S - 60, orderId: 'order-1',
      eventSourceUrl: 'https://shop.example.com/thanks', clientUserAgent: 'Mozilla/5.0', gclid: 'Cj0KCQ',
      ...patch.event,
    },
    ...(patch.consent === undefined ? {} : { consent: patch.consent }),
    ...(patch.destinations === undefined ? {} : { destinations: patch.destinations }),
  };
  const parsed = parseIngestItem(input, { nowMs: NOW_MS });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.item;
}

function metaOf(result: ReturnType<typeof prepareEvent>): MetaPreparedEvent {
  const found = result.prepared.find((event): event is MetaPreparedEvent => event.provider === 'meta');
  if (found === undefined) throw new Error(`meta skipped: ${JSON.stringify(result.skipped)}`);
  return found;
}

function googleOf(result: ReturnType<typeof prepareEvent>): GooglePreparedEvent {
  const found = result.prepared.find((event): event is GooglePreparedEvent => event.provider === 'google');
  if (found === undefined) throw new Error(`google skipped: ${JSON.stringify(result.skipped)}`);
  return found;
}

describe('a complete website purchase', () => {
  const result = prepareEvent(
    item({ event: { value: 4980, currency: 'jpy', clientIpAddress: ' 203.0.113.7 ', fbc: 'fb.1.1700000000000.IwAR', customData: { tier: 'gold' } } }),
    OPTIONS,
  );

  it('goes to both providers with the same event metadata, in provider order', () => {
    expect(result.skipped).toEqual([]);
    expect(result.prepared.map((event) => event.provider)).toEqual(['meta', 'google']);
    expect(metaOf(result).event).toEqual({
      eventName: 'Purchase', eventId: 'evt-1', eventTime: NOW_S - 60, value: 4980, currency: 'JPY',
      orderId: 'order-1', actionSource: 'website',
    });
    expect(googleOf(result).event).toEqual(metaOf(result).event);
  });

  it('gives Meta digests and plain match fields', () => {
    expect(metaOf(result)).toEqual({
      provider: 'meta',
      event: expect.any(Object) as unknown,
      userData: { em: [h('a@example.com')], ph: [h('819012345678')] },
      match: {
        clientIpAddress: '203.0.113.7',
        clientUserAgent: 'Mozilla/5.0',
        fbc: 'fb.1.1700000000000.IwAR',
        eventSourceUrl: 'https://shop.example.com/thanks',
        customData: { tier: 'gold' },
      },
    });
  });

  it('gives Google a click conversion with the click id and hashed email/phone, no consent set', () => {
    expect(googleOf(result)).toEqual({
      provider: 'google',
      event: expect.any(Object) as unknown,
      mode: 'click',
      conversionActionId: '123',
      digests: { hashedEmail: [h('a@example.com')], hashedPhoneNumber: [h('+819012345678')] },
      match: { gclid: 'Cj0KCQ' },
    });
  });
});

describe('skips', () => {
  type Case = readonly [name: string, input: IngestItem, options: PrepareOptions, skipped: Skip[]];
  const google = (patch: Partial<PrepareOptions['google']>): PrepareOptions => ({ ...OPTIONS, google: { ...OPTIONS.google, ...patch } });
  const cases: Case[] = [
    ['destinations restricts routing', item({ destinations: ['google'] }), OPTIONS, [{ provider: 'meta', reason: 'not_requested' }]],
    ['a disabled provider', item(), { ...OPTIONS, meta: { enabled: false } }, [{ provider: 'meta', reason: 'provider_disabled' }]],
    ['no customer information at all', item({ customer: { email: [], phone: [] }, event: { actionSource: 'app', clientUserAgent: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'no_customer_information' }]],
    ['only invalid values', item({ customer: { email: 'nope', phone: '12' }, event: { actionSource: 'app', clientUserAgent: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'no_customer_information' }]],
    ['fn + ge only', item({ customer: { email: [], phone: [], firstName: 'Ann', gender: 'f' }, event: { actionSource: 'app', clientUserAgent: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'weak_customer_information' }]],
    ['ln + ge only', item({ customer: { email: [], phone: [], lastName: 'Lee', gender: 'f' }, event: { actionSource: 'app', clientUserAgent: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'weak_customer_information' }]],
    ['db + user agent only', item({ customer: { email: [], phone: [], dateOfBirth: '1990-01-02' } }), OPTIONS,
      [{ provider: 'meta', reason: 'weak_customer_information' }]],
    ['address parts + user agent only', item({ customer: { email: [], phone: [], city: 'Tokyo', state: 'Tokyo', zip: '100-0001', country: 'JP', gender: 'm' } }),
      OPTIONS, [{ provider: 'meta', reason: 'weak_customer_information' }]],
    ['a user agent alone', item({ customer: { email: [], phone: [] } }), OPTIONS, [{ provider: 'meta', reason: 'weak_customer_information' }]],
    ['a website event without a user agent', item({ event: { clientUserAgent: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'missing_client_user_agent' }]],
    ['a website event with a blank user agent', item({ event: { clientUserAgent: ' ' } }), OPTIONS,
      [{ provider: 'meta', reason: 'missing_client_user_agent' }]],
    ['a website event without a page URL', item({ event: { eventSourceUrl: undefined } }), OPTIONS,
      [{ provider: 'meta', reason: 'missing_event_source_url' }]],
    ['older than 7 days', item({ event: { eventTime: NOW_S - 7 * DAY_S - 1 } }), OPTIONS, [{ provider: 'meta', reason: 'event_too_old' }]],
    ['a physical_store event older than 62 days', item({ event: { actionSource: 'physical_store', eventTime: NOW_S - 62 * DAY_S - 1 } }), OPTIONS,
      [{ provider: 'meta', reason: 'event_too_old' }]],
    ['no conversion action for the event name', item({ event: { eventName: 'Lead' } }), OPTIONS,
      [{ provider: 'google', reason: 'no_conversion_action' }]],
    ['click mode without a click id or email/phone', item({ customer: { email: [], phone: [], firstName: 'Ann', lastName: 'Lee' }, event: { gclid: undefined } }),
      OPTIONS, [{ provider: 'google', reason: 'no_click_id_or_identifier' }]],
    ['click mode, consent denied, no click id: the email does not count', item({ event: { gclid: undefined }, consent: { adUserData: 'denied' } }),
      OPTIONS, [{ provider: 'google', reason: 'no_click_id_or_identifier' }]],
    ['enhancement mode without an order id', item({ event: { eventName: 'Enhance', orderId: undefined } }), OPTIONS,
      [{ provider: 'google', reason: 'no_order_id' }]],
    ['both disabled', item(), { ...OPTIONS, meta: { enabled: false }, google: { ...OPTIONS.google, enabled: false } },
      [{ provider: 'meta', reason: 'provider_disabled' }, { provider: 'google', reason: 'provider_disabled' }]],
    ['google not requested', item({ destinations: ['meta'] }), google({}), [{ provider: 'google', reason: 'not_requested' }]],
  ];

  it.each(cases)('%s', (_name, input, options, skipped) => {
    const result = prepareEvent(input, options);
    expect(result.skipped).toEqual(skipped);
    expect(result.prepared).toHaveLength(2 - skipped.length);
  });

  it.each([
    ['fn + ln + ge', { firstName: 'Ann', lastName: 'Lee', gender: 'f' }, 'app'],
    ['ip + user agent', {}, 'website'],
    ['fbp alone', {}, 'app'],
  ] as const)('Meta accepts %s (not a weak combination)', (_name, customer, actionSource) => {
    const extra = _name === 'ip + user agent' ? { clientIpAddress: '2001:db8::1' } : _name === 'fbp alone' ? { fbp: 'fb.1.1.1', clientUserAgent: undefined } : {};
    const result = prepareEvent(item({ customer: { email: [], phone: [], ...customer }, event: { actionSource, ...extra } }), OPTIONS);
    expect(result.skipped).toEqual([]);
  });

  it('takes a 7-day-old event and a 62-day-old physical_store event', () => {
    expect(prepareEvent(item({ event: { eventTime: NOW_S - 7 * DAY_S } }), OPTIONS).skipped).toEqual([]);
    expect(prepareEvent(item({ event: { actionSource: 'physical_store', eventTime: NOW_S - 62 * DAY_S } }), OPTIONS).skipped).toEqual([]);
  });

  it('uses the fallback conversion action for unmapped event names', () => {
    const result = prepareEvent(item({ event: { eventName: 'Lead' } }), google({ fallbackAction: { id: '999', mode: 'click' } }));
    expect(googleOf(result).conversionActionId).toBe('999');
  });

  it('a gbraid alone is enough for click mode', () => {
    const result = prepareEvent(item({ customer: { email: [], phone: [] }, event: { gclid: undefined, gbraid: 'GB' } }), OPTIONS);
    expect(googleOf(result).match).toEqual({ gbraid: 'GB' });
  });
});

describe('Google consent', () => {
  it("adUserData 'denied': DENIED and no identifiers, address or user agent at all", () => {
    const denied = { customer: { firstName: 'Ann', lastName: 'Lee', zip: '100-0001', country: 'JP', streetAddress: '1-1 Chiyoda' }, consent: { adUserData: 'denied' } };
    const click = prepareEvent(item({ ...denied, event: { eventName: 'Purchase' } }), OPTIONS);
    expect(googleOf(click)).toMatchObject({ adUserDataConsent: 'DENIED', digests: {} });
    expect(googleOf(click).match).toEqual({ gclid: 'Cj0KCQ' });
    // An enhancement matches on identifiers only: with none left it is skipped, not sent to be refused.
    const enhancement = prepareEvent(item({ ...denied, event: { eventName: 'Enhance' } }), OPTIONS);
    expect(enhancement.skipped).toContainEqual({ provider: 'google', reason: 'no_user_identifier' });
  });

  it("adUserData 'granted' → GRANTED", () => {
    expect(googleOf(prepareEvent(item({ consent: { adUserData: 'granted' } }), OPTIONS)).adUserDataConsent).toBe('GRANTED');
  });

  it('consent for Google does not change what Meta receives', () => {
    expect(metaOf(prepareEvent(item({ consent: { adUserData: 'denied' } }), OPTIONS)).userData.em).toEqual([h('a@example.com')]);
  });
});

describe('Google modes', () => {
  const customer = {
    email: 'a@example.com', phone: [], firstName: 'Ann', lastName: 'Lee', streetAddress: '1 Main St',
    city: 'Tokyo', state: 'Tokyo', zip: '100-0001', country: 'JP',
  };

  it('enhancement mode carries the address and the user agent; braids are not sent', () => {
    const result = prepareEvent(item({ customer, event: { eventName: 'Enhance', gbraid: 'GB' } }), OPTIONS);
    expect(googleOf(result)).toMatchObject({
      mode: 'enhancement',
      conversionActionId: '456',
      digests: { hashedEmail: [h('a@example.com')], hashedFirstName: h('ann'), hashedLastName: h('lee'), hashedStreetAddress: h('1 main st') },
      match: { gclid: 'Cj0KCQ', userAgent: 'Mozilla/5.0', city: 'Tokyo', state: 'Tokyo', postalCode: '100-0001', countryCode: 'JP' },
    });
    expect(googleOf(result).match.gbraid).toBeUndefined();
  });

  it('click mode never carries the address or the user agent', () => {
    const result = googleOf(prepareEvent(item({ customer }), OPTIONS));
    expect(result.digests).toEqual({ hashedEmail: [h('a@example.com')] });
    expect(result.match).toEqual({ gclid: 'Cj0KCQ' });
  });

  it('keeps at most 5 identifiers: first email, first phone, then the rest, and warns', () => {
    const emails = ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com'];
    const phones = ['+819011111111', '+819022222222'];
    const result = prepareEvent(item({ customer: { email: emails, phone: phones } }), OPTIONS);
    expect(googleOf(result).digests).toEqual({
      hashedEmail: ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com'].map((email) => h(email)),
      hashedPhoneNumber: [h('+819011111111')],
    });
    expect(result.warnings).toEqual([
      { field: 'customer.email', code: 'too_many_identifiers' },
      { field: 'customer.phone', code: 'too_many_identifiers' },
    ]);
    expect(metaOf(result).userData.em).toHaveLength(5);
  });

  it('counts the address as one identifier in enhancement mode', () => {
    const result = prepareEvent(
      item({ customer: { ...customer, email: ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com'] }, event: { eventName: 'Enhance' } }),
      OPTIONS,
    );
    expect(googleOf(result).digests.hashedEmail).toHaveLength(4);
    expect(googleOf(result).digests.hashedFirstName).toBe(h('ann'));
  });
});

describe('Meta Limited Data Use', () => {
  it.each([
    [true, { options: ['LDU'], country: 0, state: 0 }],
    [{ country: 1, state: 1000 }, { options: ['LDU'], country: 1, state: 1000 }],
    [false, undefined],
    [undefined, undefined],
  ])('limitedDataUse %j → %j', (limitedDataUse, expected) => {
    const consent = limitedDataUse === undefined ? {} : { limitedDataUse };
    expect(metaOf(prepareEvent(item({ consent }), OPTIONS)).dataProcessing).toEqual(expected);
  });
});

describe('event ids', () => {
  it('keeps the eventId it was given', () => {
    expect(prepareEvent(item(), OPTIONS).eventId).toBe('evt-1');
  });

  it('derives a stable id from eventName + orderId, without a warning', () => {
    const first = prepareEvent(item({ event: { eventId: undefined } }), OPTIONS);
    const second = prepareEvent(item({ event: { eventId: undefined } }), { ...OPTIONS, nowMs: NOW_MS + 1000 });
    expect(first.eventId).toBe(`ord-${h('Purchase\u0000order-1').slice(0, 32)}`);
    expect(second.eventId).toBe(first.eventId);
    expect(first.warnings).toEqual([]);
    expect(metaOf(first).event.eventId).toBe(first.eventId);
  });

  it('the derived id depends on both the event name and the order id', () => {
    const ids = new Set([
      deriveEventId('Purchase', 'order-1'),
      deriveEventId('Purchase', 'order-2'),
      deriveEventId('Refund', 'order-1'),
      deriveEventId('Purchase\u0000order', '-1'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('without an order id, derives the id from the item as posted, with a generated_event_id warning', () => {
    const result = prepareEvent(item({ event: { eventId: undefined, orderId: undefined } }), OPTIONS);
    expect(result.eventId).toMatch(/^pst-[0-9a-f]{40}$/);
    expect(result.warnings).toEqual([{ field: 'event.eventId', code: 'generated_event_id' }]);
    // The same item again (a retry) gets the same id; a different customer does not.
    expect(prepareEvent(item({ event: { eventId: undefined, orderId: undefined } }), OPTIONS).eventId).toBe(result.eventId);
    expect(prepareEvent(item({ customer: { email: 'b@example.com' }, event: { eventId: undefined, orderId: undefined } }), OPTIONS).eventId)
      .not.toBe(result.eventId);
  });
});

describe('warnings and metadata', () => {
  it('drops an invalid IP with a warning; Meta still takes the event', () => {
    const result = prepareEvent(item({ event: { clientIpAddress: '203.0.113.7, 10.0.0.1' } }), OPTIONS);
    expect(metaOf(result).match.clientIpAddress).toBeUndefined();
    expect(result.warnings).toEqual([{ field: 'event.clientIpAddress', code: 'invalid_ip_address' }]);
  });

  it('reports a value invalid for both providers once', () => {
    const result = prepareEvent(item({ customer: { email: 'nope', phone: ['12'] } }), OPTIONS);
    expect(result.warnings).toEqual([
      { field: 'customer.email', code: 'invalid_email' },
      { field: 'customer.phone[0]', code: 'invalid_phone' },
    ]);
  });

  it('fills the default currency only when there is a value without one', () => {
    const options = { ...OPTIONS, defaultCurrency: 'jpy' };
    expect(metaOf(prepareEvent(item({ event: { value: 10 } }), options)).event.currency).toBe('JPY');
    expect(metaOf(prepareEvent(item({ event: { value: 10, currency: 'USD' } }), options)).event.currency).toBe('USD');
    expect(metaOf(prepareEvent(item(), options)).event.currency).toBeUndefined();
  });

  it('copies contents without undefined keys', () => {
    const result = prepareEvent(item({ event: { contents: [{ id: 'sku-1', quantity: 2, itemPrice: 2490 }, { id: 'sku-2' }] } }), OPTIONS);
    expect(metaOf(result).event.contents).toEqual([{ id: 'sku-1', quantity: 2, itemPrice: 2490 }, { id: 'sku-2' }]);
    expect(Object.keys(metaOf(result).event.contents?.[1] ?? {})).toEqual(['id']);
  });
});

describe('prepareEvent on anything parseIngestItem accepts', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('090-1234-5678', 'a@b.co', 'JP', 'us', '1990-01-02', 'm'));
  const field = fc.oneof(text, fc.array(text, { maxLength: 3 }));
  const customer = fc.record(
    Object.fromEntries(
      ['email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId']
        .map((key) => [key, field]),
    ),
    { requiredKeys: [] },
  );
  const event = fc.record(
    {
      eventName: fc.constantFrom('Purchase', 'Enhance', 'Lead'),
      eventId: fc.string({ minLength: 1, maxLength: 10 }),
      eventTime: fc.integer({ min: NOW_S - 90 * DAY_S, max: NOW_S + 600 }),
      value: fc.double({ min: 0, max: 1e9, noNaN: true }),
      currency: fc.constantFrom('JPY', 'usd'),
      orderId: fc.string({ minLength: 1, maxLength: 10 }),
      actionSource: fc.constantFrom('website', 'app', 'physical_store'),
      eventSourceUrl: fc.constant('https://shop.example.com/x'),
      clientIpAddress: fc.oneof(fc.ipV4(), fc.ipV6(), text),
      clientUserAgent: text,
      fbc: text,
      fbp: text,
      gclid: text,
      gbraid: text,
      wbraid: text,
    },
    { requiredKeys: ['eventName'] },
  );
  const consent = fc.record(
    {
      adUserData: fc.constantFrom('granted', 'denied'),
      limitedDataUse: fc.oneof(fc.boolean(), fc.record({ country: fc.nat(2), state: fc.nat(1000) })),
    },
    { requiredKeys: [] },
  );
  const input = fc.record({ customer, event, consent }, { requiredKeys: ['event'] });

  it('never throws, never emits the empty-string digest, and routes every provider exactly once', () => {
    fc.assert(
      fc.property(input, fc.boolean(), fc.boolean(), (raw, metaEnabled, googleEnabled) => {
        const parsed = parseIngestItem(raw, { nowMs: NOW_MS });
        if (!parsed.ok) return;
        const options = { ...OPTIONS, meta: { enabled: metaEnabled }, google: { ...OPTIONS.google, enabled: googleEnabled } };
        const result = prepareEvent(parsed.item, options);
        const providers = [...result.prepared.map((event) => event.provider), ...result.skipped.map((skip) => skip.provider)];
        expect(providers.sort()).toEqual(['google', 'meta']);
        expect(JSON.stringify(result)).not.toContain(EMPTY_STRING_DIGEST);
        for (const prepared of result.prepared) {
          if (prepared.provider === 'google' && prepared.api !== 'data-manager') {
            const count = (prepared.digests.hashedEmail?.length ?? 0) + (prepared.digests.hashedPhoneNumber?.length ?? 0) +
              (prepared.digests.hashedFirstName === undefined ? 0 : 1);
            expect(count).toBeLessThanOrEqual(5);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
