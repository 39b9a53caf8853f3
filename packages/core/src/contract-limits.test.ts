/** Size caps, id rules, absurd times and the id of an event posted without one (issue #13 items 1, 3, 8, 9). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIngestItem } from './contract.js';
import { MAX_CUSTOM_DATA_BYTES, MAX_ITEM_BYTES, jsonBytesBound } from './contract-limits.js';
import { canonicalJson, postedEventId } from './event-id.js';
import { sha256Hex } from './hash.js';
import { prepareEvent, type PrepareOptions } from './prepare/prepare-event.js';

const NOW_MS = Date.UTC(2026, 10, 30, 12);
const NOW_S = NOW_MS / 1000;
const CANARY = 'canary-7f3a';
const parse = (input: unknown, nowMs = NOW_MS) => parseIngestItem(input, { nowMs });
const issuesOf = (input: unknown) => {
  const result = parse(input);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
};
const OPTIONS: PrepareOptions = { nowMs: NOW_MS, defaultCallingCode: '81', meta: { enabled: true }, google: { enabled: false, actions: new Map() } };

describe('per-event size caps', () => {
  it('refuses customData over 4096 bytes of JSON, naming the field and never the value', () => {
    const customData = { note: CANARY.repeat(Math.ceil(MAX_CUSTOM_DATA_BYTES / CANARY.length)) };
    const issues = issuesOf({ event: { eventName: 'Lead', customData } });
    expect(issues).toEqual([{ path: 'event.customData', message: 'must be at most 4096 bytes as JSON' }]);
    expect(JSON.stringify(issues)).not.toContain(CANARY);
  });

  it('measures bytes, not characters, and accepts customData right at the cap', () => {
    const filler = (bytes: number) => ({ k: 'x'.repeat(bytes - '{"k":""}'.length) });
    expect(parse({ event: { eventName: 'Lead', customData: filler(MAX_CUSTOM_DATA_BYTES) } }).ok).toBe(true);
    expect(parse({ event: { eventName: 'Lead', customData: filler(MAX_CUSTOM_DATA_BYTES + 1) } }).ok).toBe(false);
    // 1,500 three-byte characters are 4,500 bytes.
    expect(parse({ event: { eventName: 'Lead', customData: { k: '円'.repeat(1500) } } }).ok).toBe(false);
  });

  it('reports customData over the cap alongside other contract issues', () => {
    const issues = issuesOf({ event: { eventName: '', customData: { k: 'x'.repeat(5000) } } });
    expect(issues.map((issue) => issue.path)).toEqual(['event.eventName', 'event.customData']);
  });

  it('refuses an item over 32768 bytes, naming its largest field', () => {
    const contents = Array.from({ length: 200 }, (_, index) => ({ id: `${CANARY}-${index}-${'s'.repeat(150)}`, quantity: 1 }));
    expect(JSON.stringify(contents).length).toBeGreaterThan(MAX_ITEM_BYTES);
    const issues = issuesOf({ customer: { email: 'a@example.com' }, event: { eventName: 'Purchase', contents } });
    expect(issues).toEqual([{ path: 'event.contents', message: 'makes the event larger than 32768 bytes as JSON (the largest field)' }]);
    expect(JSON.stringify(issues)).not.toContain(CANARY);
  });

  it('keeps the existing per-field caps', () => {
    expect(issuesOf({ event: { eventName: 'Lead', clientUserAgent: 'u'.repeat(2049) } })).toEqual([{ path: 'event.clientUserAgent', message: 'must have at most 2048 characters' }]);
    expect(issuesOf({ event: { eventName: 'Lead', contents: Array.from({ length: 201 }, () => ({ id: 'a' })) } }))
      .toEqual([{ path: 'event.contents', message: 'must have at most 200 items' }]);
  });
});

describe('the byte bound that spares serializing items far under their cap', () => {
  const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  /** Strings that cost the most per unit in JSON: controls, quotes, lone surrogates, 3- and 4-byte characters. */
  const costly = fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '"', '\\', '\ud800', '\udfff', '\u2028', '円', '\u{1F600}', 'a') });

  it('is never below the real size of JSON data', () => {
    const json = fc.oneof(fc.jsonValue(), fc.dictionary(costly, fc.oneof(costly, fc.double(), fc.integer(), fc.constant(-1.2345678901234567e-123))), fc.array(costly));
    fc.assert(fc.property(json, fc.nat({ max: 5000 }), (value, limit) => {
      const bound = jsonBytesBound(value, limit);
      const bytes = bytesOf(value);
      expect(bound).toBeGreaterThanOrEqual(bytes);
    }), { numRuns: 2000 });
  });

  it('gives up (Infinity) on anything JSON.stringify treats specially, so the size is then counted', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const value of [{ a: new Date(0) }, { toJSON: () => 'x' }, [1n], { f: new Map() }, cyclic, [Object.assign([], { toJSON: () => 1 })]]) {
      expect(jsonBytesBound(value, MAX_ITEM_BYTES)).toBe(Infinity);
    }
  });
});

describe('absurd event times', () => {
  it.each([0, 1, NOW_S - 91 * 86_400])('refuses eventTime %d (older than any platform takes)', (eventTime) => {
    expect(issuesOf({ event: { eventName: 'Lead', eventTime } })).toEqual([{ path: 'event.eventTime', message: 'must not be more than 90 days in the past' }]);
  });

  it('refuses 1970 as an ISO date-time too, and accepts 89 days ago', () => {
    expect(issuesOf({ event: { eventName: 'Lead', eventTime: '1970-01-01T00:00:00Z' } })[0]?.path).toBe('event.eventTime');
    expect(parse({ event: { eventName: 'Lead', eventTime: NOW_S - 89 * 86_400 } }).ok).toBe(true);
  });
});

describe('ids: no phone numbers, control characters or lone surrogates', () => {
  const phone = 'must not be a phone number (ids are not hashed)';
  const control = 'must not contain control characters or unpaired surrogates';
  it.each([
    ['eventId', '+81 90 7777 1234', phone],
    ['orderId', '+81 90 7777 1234', phone],
    ['orderId', '+1 650-555-1212', phone],
    ['eventId', ' +447946095800', phone],
    ['eventId', 'a\u0000b', control],
    ['orderId', 'line\nbreak', control],
    ['eventId', 'tab\tid', control],
    ['eventId', 'c1\u0085', control],
    ['orderId', 'x\ud800', control],
    ['eventId', '\udc00y', control],
  ])('refuses %s %j, naming the field only', (field, value, message) => {
    const issues = issuesOf({ event: { eventName: 'Lead', [field]: value } });
    expect(issues).toEqual([{ path: `event.${field}`, message }]);
  });

  it.each(['123-456-7890', '+12', 'order+81 90 7777 1234', 'A-1001', '(090) 7777-1234', '注文-1', 'emoji-\ud83d\ude00'])('keeps %j a valid order id', (orderId) => {
    expect(parse({ event: { eventName: 'Lead', orderId, eventId: orderId } }).ok).toBe(true);
  });

  it('applies to content ids and event names too', () => {
    expect(issuesOf({ event: { eventName: 'Lead\u0000', contents: [{ id: '+81 90 7777 1234' }] } }).map((issue) => issue.path))
      .toEqual(['event.eventName', 'event.contents[0].id']);
  });
});

describe('the id of an event posted without eventId and orderId', () => {
  const body = { customer: { email: 'a@example.com', phone: '090-1234-5678' }, event: { eventName: 'Lead', value: 10, currency: 'jpy' } };

  it('is the same for the same body posted later (no "now" in it), whatever the key order', () => {
    const first = parse(body);
    const retried = parse({ event: { currency: 'jpy', value: 10, eventName: 'Lead' }, customer: { phone: '090-1234-5678', email: 'a@example.com' } }, NOW_MS + 3_600_000);
    expect(first.ok && first.item.postedEventId).toMatch(/^pst-[0-9a-f]{40}$/);
    expect(retried.ok && retried.item.postedEventId).toBe(first.ok && first.item.postedEventId);
    // The event time still defaults to the time of arrival.
    expect(retried.ok && retried.item.event.eventTime).toBe(NOW_S + 3600);
  });

  it('differs when any customer or event field differs, not when consent or destinations do', () => {
    const idOf = (input: unknown) => { const result = parse(input); return result.ok ? result.item.postedEventId : undefined; };
    const base = idOf(body);
    expect(idOf({ ...body, customer: { ...body.customer, email: 'b@example.com' } })).not.toBe(base);
    expect(idOf({ ...body, event: { ...body.event, value: 11 } })).not.toBe(base);
    expect(idOf({ ...body, event: { ...body.event, eventTime: NOW_S } })).not.toBe(base);
    expect(idOf({ ...body, consent: { adUserData: 'granted' }, destinations: ['meta'] })).toBe(base);
    expect(idOf({ ...body, customer: undefined })).toBe(idOf({ ...body, customer: {} }));
  });

  it('is SHA-256 over the canonical JSON and shows no value', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: undefined, a: 'x' }], a: null })).toBe('{"a":null,"b":[2,{"a":"x","d":1}]}');
    expect(postedEventId(body.customer, body.event)).toBe(postedEventId({ phone: '090-1234-5678', email: 'a@example.com' }, { currency: 'jpy', value: 10, eventName: 'Lead' }));
    const result = parse(body);
    expect(result.ok && result.item.postedEventId).not.toContain('example');
  });

  it('is not set when the event has an eventId or an orderId, and becomes the prepared event id', () => {
    const withOrder = parse({ ...body, event: { ...body.event, orderId: 'A-1' } });
    expect(withOrder.ok && withOrder.item.postedEventId).toBeUndefined();
    const result = parse(body);
    if (!result.ok) throw new Error('expected ok');
    const prepared = prepareEvent(result.item, OPTIONS);
    expect(prepared.eventId).toBe(result.item.postedEventId);
    expect(prepared.warnings).toContainEqual({ field: 'event.eventId', code: 'generated_event_id' });
  });
});

describe('email addresses with characters nobody types', () => {
  const prepare = (email: string | string[]) => {
    const result = parse({ customer: { email }, event: { eventName: 'Lead', actionSource: 'system_generated' } });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return prepareEvent(result.item, OPTIONS);
  };
  const emDigest = (email: string) => {
    const meta = prepare(email).prepared.find((event) => event.provider === 'meta');
    return meta?.provider === 'meta' ? meta.userData.em : undefined;
  };

  it.each([
    ['invalid UTF-8 (decoded as U+FFFD)', 'jo\ufffdhn@example.com'],
    ['a zero-width space', 'john\u200b@example.com'],
    ['a byte-order mark', '\ufeffjohn@example.com'],
    ['full-width letters', 'ｊｏｈｎ@example.com'],
  ])('warns about %s and hashes the value exactly as before', (_name, email) => {
    const result = prepare(['ok@example.com', email]);
    expect(result.warnings).toContainEqual({ field: 'customer.email[1]', code: 'unusual_characters' });
    expect(JSON.stringify(result.warnings)).not.toContain('example');
  });

  it('does not change any digest: the warning is the only difference', () => {
    // The digest stays SHA-256 of the lowercased value with the odd characters kept (no NFKC folding).
    expect(emDigest('John\u200b@Example.com')).toEqual([sha256Hex('john\u200b@example.com')]);
    expect(emDigest('ｊｏｈｎ@example.com')).toEqual([sha256Hex('ｊｏｈｎ@example.com')]);
    expect(emDigest('ｊｏｈｎ@example.com')).not.toEqual(emDigest('john@example.com'));
    expect(prepare('John@Example.com').warnings.filter((warning) => warning.code === 'unusual_characters')).toEqual([]);
  });
});
