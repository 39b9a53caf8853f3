/**
 * The compiled contract check (contract-check.ts) against zod, the contract's one definition:
 * whatever the fast check accepts, zod accepts with exactly the same output (values, key order,
 * keys present as `undefined`); on JSON input, which is all the api ever passes, they accept the
 * same items.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createContractCheck } from './contract-check.js';
import { compiledIngestCheck, ingestItemSchema, ingestSchemas } from './contract.js';

/** Keys of every object inside `value`, in order, with their paths: equal only if built in the same order. */
function keyOrder(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((element, index) => keyOrder(element, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  return [`${path}{${Object.keys(record).join(',')}}`, ...Object.keys(record).flatMap((key) => keyOrder(record[key], `${path}.${key}`))];
}

/** What zod returns for `input`, or undefined when it refuses. */
function zodOutput(input: unknown): unknown {
  const parsed = ingestItemSchema.safeParse(input);
  return parsed.success ? parsed.data : undefined;
}

function expectSameOutput(input: unknown, fast: unknown): void {
  const expected = zodOutput(input);
  expect(expected, 'zod refuses an item the compiled check accepted').not.toBeUndefined();
  expect(fast).toStrictEqual(expected);
  expect(keyOrder(fast)).toEqual(keyOrder(expected));
}

const emoji = '\u{1F600}';
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', ' ', '  x  ', '\t', 'John', 'José', '정', 'a@b.co', 'order a@b.co x', '+81 90 1234 5678', '+1 650 555 1212', '123-456-7890', 'x\u0000y', 'x\u0085', '\ud800', 'ok\udc00', `${emoji}ok`),
  fc.nat({ max: 600 }).map((n) => 'x'.repeat(n)),
  fc.constantFrom(255, 256, 257, 511, 512, 513).map((n) => emoji.repeat(n)),
  fc.constantFrom(255, 256, 257, 511, 512, 513).map((n) => `${emoji.repeat(n - 1)}\ud800`),
);
/** Mostly a valid value, sometimes anything: an item then often passes whole, and every rule still gets probed. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: other, weight: 1 });

const plainText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('John', 'José', '정', ' x ', emoji.repeat(512)));
const customerValue = mostly(fc.oneof(plainText, fc.array(plainText, { maxLength: 10 })), fc.oneof(text, fc.array(text, { maxLength: 11 })));
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 0.5, 1, 2, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1),
);
const nonNegative = mostly(fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat()), number);
const isoDate = fc.oneof(
  fc.date({ min: new Date('1969-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    '2026-10-01T11:00:00Z', '2026-10-01T20:00:00+09:00', '2026-10-01T11:00:00.750Z', '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z',
    '2026-10-01T11:00:00', '2026-10-01 11:00:00Z', '2026-10-01', '2026-13-01T00:00:00Z', '2026-10-01T24:00:00Z', '2026-10-01T11:00:00+0900',
    '2000-02-29T23:59:59.999999Z', '1900-02-29T00:00:00Z', 'soon', '',
  ),
);
const url = mostly(
  fc.oneof(fc.webUrl(), fc.webUrl().map((address) => ` ${address}\t `)),
  fc.constantFrom(
    'https://shop.example.com/thanks', 'HTTPS://Shop.Example.com/', 'http://a.b', ' https://x.com/a\tb\nc ', 'https://exa\nmple.com/',
    'http:/x.com', 'https:x.com', 'ftp://x.com', 'mailto:a@b.co', 'https://', 'https://[::1]:8080/p?q#f', 'https://exa mple.com/',
    'https://x.com/\u00e9', 'javascript:alert(1)', 'https://user:pw@host/', `https://x.com/${'a'.repeat(2034)}`, `https://x.com/${'a'.repeat(2035)}`,
    ` https://x.com/${'a'.repeat(2034)}  `, '',
  ),
);
const numericId = mostly(fc.stringMatching(/^\d{1,32}$/), fc.oneof(fc.stringMatching(/^\d{1,33}$/), text));
const id = mostly(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.constantFrom('Purchase', 'order 42', 'x'.repeat(256), emoji.repeat(256))), text);
const limited = (max: number) => mostly(fc.string({ maxLength: Math.min(max, 40) }), text);

const customer = fc.record(
  Object.fromEntries(
    ['email', 'phone', 'firstName', 'lastName', 'gender', 'dateOfBirth', 'city', 'state', 'zip', 'country', 'streetAddress', 'externalId']
      .map((key) => [key, customerValue]),
  ),
  { requiredKeys: [] },
);
const contentItem = fc.record(
  { id, quantity: mostly(fc.integer({ min: 1, max: 1000 }), number), itemPrice: nonNegative },
  { requiredKeys: ['id'] },
);
const event = fc.record(
  {
    eventName: id,
    eventId: id,
    eventTime: mostly(fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), isoDate), fc.oneof(number, isoDate)),
    value: nonNegative,
    currency: mostly(fc.stringMatching(/^[A-Za-z]{3}$/), fc.constantFrom('JPY', 'usd', 'US', 'EURO', 'ÄBC', '123')),
    orderId: id,
    actionSource: mostly(fc.constantFrom('website', 'app', 'physical_store', 'business_messaging', 'other'), fc.constantFrom('Website', 'web')),
    eventSourceUrl: url,
    clientIpAddress: limited(64),
    clientUserAgent: limited(2048),
    fbc: limited(512),
    fbp: limited(512),
    gclid: limited(512),
    gbraid: limited(512),
    wbraid: limited(512),
    ctwaClid: limited(512),
    pageId: numericId,
    pageScopedUserId: numericId,
    igAccountId: numericId,
    igSid: numericId,
    messagingChannel: mostly(fc.constantFrom('whatsapp', 'messenger', 'instagram'), fc.constant('sms')),
    contents: mostly(fc.array(contentItem, { maxLength: 3 }), fc.array(contentItem, { minLength: 199, maxLength: 201 })),
    customData: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1')), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['eventName'] },
);
const status = mostly(fc.constantFrom('granted', 'denied'), fc.constantFrom('GRANTED', 'unknown'));
const consent = fc.record(
  {
    adUserData: status,
    adPersonalization: status,
    limitedDataUse: mostly(
      fc.oneof(fc.boolean(), fc.record({ country: fc.nat(), state: fc.nat() })),
      fc.oneof(fc.record({ country: number, state: number }, { requiredKeys: [] }), fc.constant('yes')),
    ),
  },
  { requiredKeys: [] },
);
const item = fc.record(
  {
    customer,
    event,
    consent,
    destinations: mostly(fc.array(fc.constantFrom('meta', 'google'), { minLength: 1, maxLength: 2 }), fc.array(fc.constantFrom('meta', 'google', 'tiktok'), { maxLength: 3 })),
  },
  { requiredKeys: ['event'] },
);

/** A JSON body as the api receives it: whatever `JSON.parse` makes of the generated item, sometimes with one extra key. */
const jsonItem = fc.tuple(item, fc.constantFrom(undefined, undefined, undefined, 'emial', 'extra', '__proto__'), fc.constantFrom<'item' | 'customer' | 'event' | 'consent'>('item', 'customer', 'event', 'consent'))
  .map(([generated, extraKey, where]) => {
    let body = JSON.stringify(generated);
    if (extraKey !== undefined) {
      const inserted = `${JSON.stringify(extraKey)}:1,`;
      const anchor = where === 'item' ? '{' : `"${where}":{`;
      const at = body.indexOf(anchor);
      if (at !== -1) body = `${body.slice(0, at + anchor.length)}${inserted}${body.slice(at + anchor.length)}`.replace(',}', '}');
    }
    return JSON.parse(body) as unknown;
  });

/**
 * Valid items the compiled check leaves to zod on purpose (rare, and zod then accepts them): a
 * `__proto__` key in customData, which zod drops; a page URL over 2048 characters only before zod
 * trims it (zod measures after trimming, JSON Schema before).
 */
function leftToZod(input: unknown): boolean {
  const eventValue = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)['event'] : undefined;
  if (typeof eventValue !== 'object' || eventValue === null) return false;
  const { customData, eventSourceUrl } = eventValue as Record<string, unknown>;
  if (typeof customData === 'object' && customData !== null && Object.hasOwn(customData, '__proto__')) return true;
  // Code points, as zod counts them (`Array.from` iterates by code point).
  return typeof eventSourceUrl === 'string' && Array.from(eventSourceUrl).length > 2048;
}

/** Thousands of zod parses: slow on a busy machine, so more room than the default 30 s (not a timing assertion). */
const PROPERTY_TIMEOUT_MS = 180_000;

describe('the compiled contract check', () => {
  it('accepts exactly what zod accepts on JSON input, with the same output', () => {
    let accepted = 0;
    fc.assert(
      fc.property(jsonItem, (input) => {
        const fast = compiledIngestCheck(input);
        if (fast === undefined) {
          // Refused: zod decides; it must refuse too, but for what `leftToZod` names.
          if (!leftToZod(input)) expect(zodOutput(input)).toBeUndefined();
          return;
        }
        accepted += 1;
        expectSameOutput(input, fast);
      }),
      { numRuns: 2000 },
    );
    // The generator must reach the accepting side often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(150);
  }, PROPERTY_TIMEOUT_MS);

  it('never accepts what zod refuses, nor changes the output, on JavaScript values JSON cannot carry', () => {
    const odd = fc.constantFrom<unknown>(undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, null, new Date(0), [], {}, Object.create(null), new Map(), 1n);
    fc.assert(
      fc.property(item, fc.nat(), odd, (generated, pick, replacement) => {
        const input = structuredClone(generated) as { event: Record<string, unknown>; customer?: Record<string, unknown> };
        const targets: Record<string, unknown>[] = [input, input.event, ...(input.customer ? [input.customer] : [])];
        const target = targets[pick % targets.length] ?? input.event;
        const keys = Object.keys(target);
        const key = keys[pick % Math.max(1, keys.length)] ?? 'customData';
        target[key] = replacement;
        const fast = compiledIngestCheck(input);
        if (fast !== undefined) expectSameOutput(input, fast);
      }),
      { numRuns: 2000 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it.each([
    ['a present optional key holding undefined', { event: { eventName: 'Lead', eventId: undefined } }],
    ['a URL with spaces around and a tab inside', { event: { eventName: 'Lead', eventSourceUrl: ' https://shop.example.com/a\tb ' } }],
    ['an ISO time with an offset and a lowercase currency', { event: { eventName: 'Lead', eventTime: '2026-10-01T20:00:00+09:00', currency: 'jpy' } }],
    ['customer arrays and line items', { customer: { email: ['a@example.com', 'b@example.com'] }, event: { eventName: 'Purchase', contents: [{ itemPrice: 1, id: 'sku' }] } }],
    ['keys in another order than the schema', { destinations: ['google'], event: { value: 1, eventName: 'Lead' }, consent: { limitedDataUse: { state: 1, country: 2 } } }],
  ])('takes %s exactly as zod does', (_name, input) => {
    const fast = compiledIngestCheck(input);
    expect(fast).not.toBeUndefined();
    expectSameOutput(input, fast);
  });

  it.each([
    ['an email address in an id', { event: { eventName: 'Lead', orderId: 'for a@b.co' } }],
    ['a phone number as an id', { event: { eventName: 'Lead', eventId: '+81 90 1234 5678' } }],
    ['a blank event name', { event: { eventName: '   ' } }],
    ['a URL without //', { event: { eventName: 'Lead', eventSourceUrl: 'http:/shop.example.com' } }],
    ['customData with a __proto__ key', JSON.parse('{"event":{"eventName":"Lead","customData":{"__proto__":{"a":1}}}}') as unknown],
  ])('leaves %s to zod', (_name, input) => {
    expect(compiledIngestCheck(input)).toBeUndefined();
  });
});

describe('compiling the check', () => {
  const fresh = () => createContractCheck(ingestSchemas());

  it('compiles on warm(), before any item, and only once', () => {
    const check = fresh();
    expect(check.compiled).toBe(false);
    check.warm();
    expect(check.compiled).toBe(true);
    check.warm();
    expect(check.compiled).toBe(true);
    expect(check({ event: { eventName: 'Lead' } })).toStrictEqual(zodOutput({ event: { eventName: 'Lead' } }));
  });

  it('compiles on the first item when nobody warmed it', () => {
    const check = fresh();
    expect(check({ event: { eventName: 'Lead' } })).not.toBeUndefined();
    expect(check.compiled).toBe(true);
  });
});
