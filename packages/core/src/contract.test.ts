/** The ingest contract (docs/architecture.md#contract): what is accepted, what is filled in, and how problems are reported. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIngestItem } from './contract.js';

const NOW_MS = Date.UTC(2026, 9, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const parse = (input: unknown) => parseIngestItem(input, { nowMs: NOW_MS });

/** An ingest item that sets every field of the contract (docs/architecture.md#contract). */
const SEED = {
  customer: {
    email: ' John.Doe@Example.COM ', phone: '090-1234-5678',
    firstName: 'John', lastName: 'Doe', gender: 'male', dateOfBirth: '1990/01/02',
    city: 'Tokyo', state: 'Tokyo', zip: '100-0001', country: 'JP',
    streetAddress: '1-1 Chiyoda', externalId: 'user_42',
  },
  event: {
    eventName: 'Purchase', eventId: 'order-2025-0001', eventTime: NOW_S - 60,
    value: 4980, currency: 'JPY', orderId: 'order-2025-0001',
    actionSource: 'website', eventSourceUrl: 'https://shop.example.com/thank-you',
    clientIpAddress: '203.0.113.7', clientUserAgent: 'Mozilla/5.0 ...',
    fbc: 'fb.1.1700000000000.IwAR...', fbp: 'fb.1.1700000000000.123', gclid: 'Cj0KCQ...',
    gbraid: '...', wbraid: '...',
    contents: [{ id: 'sku-1', quantity: 2, itemPrice: 2490 }], customData: {},
  },
  consent: { adUserData: 'granted', adPersonalization: 'granted', limitedDataUse: false },
  destinations: ['meta', 'google'],
};

function issuesOf(input: unknown) {
  const result = parse(input);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}

describe('accepted input', () => {
  it('accepts the seed example unchanged', () => {
    expect(parse(SEED)).toEqual({ ok: true, item: SEED });
  });

  it('needs only event.eventName; fills eventTime with now, actionSource with website, customer with {}', () => {
    expect(parse({ event: { eventName: 'Lead' } })).toEqual({
      ok: true,
      item: { customer: {}, event: { eventName: 'Lead', eventTime: NOW_S, actionSource: 'website' }, postedEventId: expect.stringMatching(/^pst-[0-9a-f]{40}$/) as string },
    });
  });

  it.each([
    ['2026-10-01T11:00:00Z', NOW_S - 3600],
    ['2026-10-01T20:00:00+09:00', NOW_S - 3600],
    ['2026-10-01T11:00:00.750Z', NOW_S - 3600],
  ])('reads ISO 8601 eventTime %j as unix seconds', (eventTime, expected) => {
    const result = parse({ event: { eventName: 'Lead', eventTime } });
    expect(result.ok && result.item.event.eventTime).toBe(expected);
  });

  it('floors fractional unix seconds, uppercases currency and accepts arrays of customer values', () => {
    const result = parse({
      customer: { email: ['a@example.com', 'b@example.com'] },
      event: { eventName: 'Purchase', eventTime: NOW_S - 0.5, currency: 'usd' },
    });
    expect(result.ok && result.item.event).toMatchObject({ eventTime: NOW_S - 1, currency: 'USD' });
    expect(result.ok && result.item.customer.email).toEqual(['a@example.com', 'b@example.com']);
  });

  it('accepts eventTime up to 10 minutes in the future (client clock skew)', () => {
    expect(parse({ event: { eventName: 'Lead', eventTime: NOW_S + 600 } }).ok).toBe(true);
  });

  it('accepts limitedDataUse as {country, state}', () => {
    const result = parse({ event: { eventName: 'Lead' }, consent: { limitedDataUse: { country: 1, state: 1000 } } });
    expect(result.ok && result.item.consent).toEqual({ limitedDataUse: { country: 1, state: 1000 } });
  });
});

describe('rejected input: path and fixed message', () => {
  it.each([
    ['not an object', 'CANARY', [{ path: '', message: 'must be an object' }]],
    ['missing event', {}, [{ path: 'event', message: 'is required' }]],
    ['missing eventName', { event: {} }, [{ path: 'event.eventName', message: 'is required' }]],
    ['blank eventName', { event: { eventName: '  ' } }, [{ path: 'event.eventName', message: 'must not be blank' }]],
    ['eventTime more than 10 minutes ahead', { event: { eventName: 'Lead', eventTime: NOW_S + 601 } },
      [{ path: 'event.eventTime', message: 'must not be more than 10 minutes in the future' }]],
    ['eventTime in milliseconds', { event: { eventName: 'Lead', eventTime: NOW_MS } },
      [{ path: 'event.eventTime', message: 'must not be more than 10 minutes in the future' }]],
    ['eventTime not a date', { event: { eventName: 'Lead', eventTime: 'yesterday' } },
      [{ path: 'event.eventTime', message: 'must be unix seconds or an ISO 8601 date-time with a time zone' }]],
    ['eventTime without a time zone', { event: { eventName: 'Lead', eventTime: '2026-10-01T11:00:00' } },
      [{ path: 'event.eventTime', message: 'must be unix seconds or an ISO 8601 date-time with a time zone' }]],
    ['eventTime of the wrong type', { event: { eventName: 'Lead', eventTime: true } },
      [{ path: 'event.eventTime', message: 'must be a number or a string' }]],
    ['a customer value of the wrong type', { customer: { email: 42 }, event: { eventName: 'Lead' } },
      [{ path: 'customer.email', message: 'must be a string or an array' }]],
    ['a bad array element', { customer: { phone: ['ok', 7] }, event: { eventName: 'Lead' } },
      [{ path: 'customer.phone[1]', message: 'must be a string' }]],
    ['too many values', { customer: { email: Array.from({ length: 11 }, () => 'a@b.co') }, event: { eventName: 'Lead' } },
      [{ path: 'customer.email', message: 'must have at most 10 items' }]],
    ['a value too long', { customer: { city: 'x'.repeat(513) }, event: { eventName: 'Lead' } },
      [{ path: 'customer.city', message: 'must have at most 512 characters' }]],
    ['a bad currency', { event: { eventName: 'Lead', currency: 'YEN!' } },
      [{ path: 'event.currency', message: 'must be a 3-letter ISO 4217 code' }]],
    ['a negative value', { event: { eventName: 'Lead', value: -1 } },
      [{ path: 'event.value', message: 'must be at least 0' }]],
    ['an unknown actionSource', { event: { eventName: 'Lead', actionSource: 'CANARY' } },
      [{ path: 'event.actionSource', message: 'must be one of: email, website, app, phone_call, chat, physical_store, system_generated, business_messaging, other' }]],
    ['a non-http eventSourceUrl', { event: { eventName: 'Lead', eventSourceUrl: 'javascript:alert(1)' } },
      [{ path: 'event.eventSourceUrl', message: 'must be an http(s) URL' }]],
    ['a fractional quantity', { event: { eventName: 'Lead', contents: [{ id: 'a', quantity: 1.5 }] } },
      [{ path: 'event.contents[0].quantity', message: 'must be an integer' }]],
    ['an unknown destination', { event: { eventName: 'Lead' }, destinations: ['meta', 'CANARY'] },
      [{ path: 'destinations[1]', message: 'must be one of: meta, google' }]],
    ['no destination', { event: { eventName: 'Lead' }, destinations: [] },
      [{ path: 'destinations', message: 'must have at least 1 items' }]],
    ['a bad consent value', { event: { eventName: 'Lead' }, consent: { adUserData: 'yes' } },
      [{ path: 'consent.adUserData', message: 'must be one of: granted, denied' }]],
    ['a bad limitedDataUse', { event: { eventName: 'Lead' }, consent: { limitedDataUse: 'yes' } },
      [{ path: 'consent.limitedDataUse', message: 'must be a boolean or an object' }]],
    ['an email address as order id (ids travel unhashed)', { event: { eventName: 'Lead', orderId: 'order-jane.canary@example.com' } },
      [{ path: 'event.orderId', message: 'must not contain an email address (ids are not hashed)' }]],
    ['an email address in eventId, eventName or a content id',
      { event: { eventName: 'x@y.io', eventId: 'CANARY@example.org', contents: [{ id: 'sku a@b.cd' }] } }, [
        { path: 'event.eventName', message: 'must not contain an email address (ids are not hashed)' },
        { path: 'event.eventId', message: 'must not contain an email address (ids are not hashed)' },
        { path: 'event.contents[0].id', message: 'must not contain an email address (ids are not hashed)' },
      ]],
  ])('%s', (_case, input, issues) => {
    expect(issuesOf(input)).toEqual(issues);
  });

  it('rejects unknown keys at every level, naming keys that look like field names', () => {
    expect(
      issuesOf({
        customer: { emial: 'a@example.com' },
        event: { eventName: 'Lead', contents: [{ id: 'a', sku: 'b' }] },
        consent: { ad_user_data: 'granted' },
        extra: 1,
        'john@example.com': 1,
      }),
    ).toEqual([
      { path: 'customer.emial', message: 'is not a known field' },
      { path: 'event.contents[0].sku', message: 'is not a known field' },
      { path: 'consent.ad_user_data', message: 'is not a known field' },
      { path: 'extra', message: 'is not a known field' },
      { path: '', message: 'has a field that is not known' },
    ]);
  });
});

describe('no issue message ever contains a submitted value', () => {
  const CANARY = 'CANARY-7f3a';
  const canaryValues: unknown[] = [CANARY, [CANARY], [CANARY, 1], { [CANARY]: CANARY }, `${CANARY}@x`, `x${CANARY}`.repeat(100)];
  const fields: readonly (readonly [string, readonly string[]])[] = [
    ['customer', ['email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId']],
    ['event', ['eventName', 'eventId', 'eventTime', 'value', 'currency', 'orderId', 'actionSource', 'eventSourceUrl',
      'clientIpAddress', 'clientUserAgent', 'fbc', 'fbp', 'gclid', 'gbraid', 'wbraid', 'contents', 'customData']],
    ['consent', ['adUserData', 'adPersonalization', 'limitedDataUse']],
  ];
  const cases = fields.flatMap(([section, names]) =>
    names.flatMap((name) => canaryValues.map((value) => [section, name, value] as const)),
  );

  it.each(cases)('%s.%s = %j', (section, name, value) => {
    const item: Record<string, Record<string, unknown>> = { event: { eventName: 'Lead' } };
    item[section] = { ...item[section], [name]: value };
    const result = parse(item);
    if (!result.ok) {
      expect(JSON.stringify(result.issues)).not.toContain(CANARY);
    }
  });

  it('holds for arbitrary JSON put anywhere in an item', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('customer', 'event', 'consent', 'destinations'), (value, key) => {
        const marked = JSON.stringify(value);
        const result = parse({ event: { eventName: 'Lead' }, [key]: value });
        if (!result.ok) {
          for (const issue of result.issues) {
            if (marked.length > 12) expect(issue.message).not.toContain(marked);
          }
        }
      }),
    );
  });
});
