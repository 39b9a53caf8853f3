import { createKeyring, generateKeyText, parseIngestItem, prepareEvent, type MetaPreparedEvent, type PreparedEvent } from '@capconnect/core';
import { findCanaries } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { InvalidJobError, openJobData, sealingContext, summarizeJobData, toJobData } from './job-data.js';
import { dataManagerEvent, googleEvent, metaEvent, sha } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());

/** Through JSON, as BullMQ stores and returns job data. */
const stored = (data: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(data)) as Record<string, unknown>;

/** A v2 sealed part: the match fields' JSON under their full names. */
const sealV2 = (match: object, provider: 'meta' | 'google', eventId: string) => keyring.seal(JSON.stringify(match), sealingContext(provider, eventId));

/** Jobs exactly as the v2 api wrote them (and v1 before it), but for the sealed part, which is random. */
function legacyJobs() {
  const metaV2 = {
    v: 2, provider: 'meta', ingestedAt: 42, sealed: sealV2(metaEvent.match, 'meta', 'order-1'),
    event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, actionSource: 'website', value: 4980, currency: 'JPY', orderId: 'order-1' },
    userData: { em: [sha('john.doe@example.com')], ph: [sha('819012345678')] },
    dataProcessing: { options: ['LDU'], country: 0, state: 0 },
  };
  const googleAdsV2 = {
    v: 2, provider: 'google', api: 'ads-api', ingestedAt: 7, mode: 'click', conversionActionId: '123', adUserDataConsent: 'GRANTED',
    sealed: sealV2(googleEvent.match, 'google', 'order-1'),
    event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, actionSource: 'website', orderId: 'order-1' },
    digests: { hashedEmail: [sha('johndoe@gmail.com')] },
  };
  const dataManagerV2 = {
    v: 2, provider: 'google', api: 'data-manager', ingestedAt: 9, mode: 'click', conversionActionId: '123', eventSource: 'WEB', transactionId: 'order-1',
    consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' }, sealed: sealV2(dataManagerEvent.match, 'google', 'order-1'),
    event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, actionSource: 'website', value: 49.9, currency: 'EUR', orderId: 'order-1' },
    digests: { emailAddress: [sha('dana@example.com')], phoneNumber: [sha('+18005550100')], givenName: sha('alex'), familyName: sha('smith') },
  };
  const googleV1 = {
    v: 1, provider: 'google', ingestedAt: 5, mode: 'click', conversionActionId: '123', adUserDataConsent: 'GRANTED',
    sealed: sealV2({ gclid: 'Cj0KCQ-v1' }, 'google', 'legacy-1'),
    event: { eventName: 'Purchase', eventId: 'legacy-1', eventTime: 1_764_300_000, orderId: 'o-1', actionSource: 'website' },
    digests: { hashedEmail: [sha('a@example.com')] },
  };
  const metaV1 = { ...metaV2, v: 1 };
  return { metaV2, googleAdsV2, dataManagerV2, googleV1, metaV1 };
}

const same = (a: unknown, b: unknown) => { expect(a).toStrictEqual(b); };

/** What the v2 producer wrote for a prepared event (its `toJobData`, verbatim but for the names). */
function writeV2(prepared: PreparedEvent, ingestedAt: number): Record<string, unknown> {
  const sealed = Object.keys(prepared.match).length > 0 ? sealV2(prepared.match, prepared.provider, prepared.event.eventId) : undefined;
  const base = { v: 2, provider: prepared.provider, event: prepared.event, ingestedAt, ...(sealed !== undefined && { sealed }) };
  if (prepared.provider === 'meta') return { ...base, userData: prepared.userData, ...(prepared.dataProcessing && { dataProcessing: prepared.dataProcessing }) };
  if (prepared.api === 'data-manager') {
    return {
      ...base, api: 'data-manager', mode: prepared.mode, conversionActionId: prepared.conversionActionId, eventSource: prepared.eventSource,
      transactionId: prepared.transactionId, digests: prepared.digests, ...(prepared.consent && { consent: prepared.consent }),
    };
  }
  return { ...base, api: 'ads-api', mode: prepared.mode, conversionActionId: prepared.conversionActionId, digests: prepared.digests, ...(prepared.adUserDataConsent && { adUserDataConsent: prepared.adUserDataConsent }) };
}

describe('job data', () => {
  it('seals every match field: the serialized job holds no plaintext of them', () => {
    for (const prepared of [metaEvent, googleEvent, dataManagerEvent]) {
      const text = JSON.stringify(toJobData(prepared, keyring, 1));
      // A short value (`US`) turns up in random base64url by chance; as a JSON string it cannot.
      for (const value of Object.values(prepared.match)) expect(text).not.toContain(String(value).length < 8 ? JSON.stringify(value) : String(value));
    }
  });

  it('seals the business-messaging ids too, and opens them again', () => {
    const chat: MetaPreparedEvent = {
      ...metaEvent,
      event: { ...metaEvent.event, actionSource: 'business_messaging' },
      match: {
        messagingChannel: 'messenger', ctwaClid: 'ARAkLk-canary-ctwa', pageId: '7311000000000001',
        pageScopedUserId: '7311000000000002', igAccountId: '7311000000000003', igSid: '7311000000000004',
      },
    };
    const data = toJobData(chat, keyring, 1);
    expect(findCanaries(JSON.stringify(data), ['canary-ctwa', '7311000000000001', '7311000000000002', '7311000000000003', '7311000000000004'])).toEqual([]);
    expect(openJobData(data, keyring).match).toEqual(chat.match);
  });

  it('opens a v3 job of a real prepared event to the very JSON its v2 job opened to, key order included', () => {
    const nowMs = Date.UTC(2026, 10, 30);
    const item = parseIngestItem({
      customer: { email: ' Dana.Lee@Example.com ', phone: '(212) 555-0100', firstName: 'Dana', lastName: 'Lee', city: 'New York', state: 'NY', zip: '10001', country: 'US' },
      event: {
        eventName: 'Purchase', eventId: 'real-1', orderId: 'order-real-1', value: 129.95, currency: 'usd', actionSource: 'website',
        eventSourceUrl: 'https://shop.example.com/thanks', clientIpAddress: '198.51.100.7', clientUserAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
        fbc: 'fb.1.1764460800000.IwAR-real', gclid: 'Cj0KCQ-real', contents: [{ id: 'sku-1', quantity: 1, itemPrice: 129.95 }],
      },
    }, { nowMs });
    if (!item.ok) throw new Error('the test event does not parse');
    const actions = new Map([['Purchase', { id: '42', mode: 'click' as const }]]);
    for (const api of ['data-manager', 'ads-api'] as const) {
      const { prepared } = prepareEvent(item.item, { nowMs, defaultCallingCode: '1', meta: { enabled: true }, google: { enabled: true, actions, api } });
      expect(prepared).toHaveLength(2);
      for (const each of prepared) {
        const fromV2 = openJobData(stored(writeV2(each, 5)), keyring);
        const fromV3 = openJobData(stored(toJobData(each, keyring, 5)), keyring);
        expect(JSON.stringify(fromV3)).toBe(JSON.stringify(fromV2));
      }
    }
  });

  it('round-trips through the schema and the seal', () => {
    same(openJobData(stored(toJobData(metaEvent, keyring, 42)), keyring), { ...metaEvent, ingestedAt: 42 });
    same(openJobData(stored(toJobData(googleEvent, keyring, 7)), keyring), { ...googleEvent, ingestedAt: 7 });
    same(openJobData(stored(toJobData(dataManagerEvent, keyring, 3)), keyring), { ...dataManagerEvent, ingestedAt: 3 });
  });

  it('round-trips every field a prepared event can hold: many digests per list, contents, custom data, no order id', () => {
    const many = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => sha(`${prefix}${index}`));
    const events: PreparedEvent[] = [
      {
        provider: 'meta',
        event: {
          eventName: 'Purchase', eventId: 'e-9', eventTime: 1_764_300_001, actionSource: 'physical_store', value: 0, currency: 'USD',
          contents: [{ id: 'sku-1', quantity: 2, itemPrice: 9.5 }, { id: 'sku-2' }, { id: 'sku-3', itemPrice: 0 }],
        },
        userData: {
          em: many('em', 10), ph: many('ph', 3), fn: many('fn', 1), ln: many('ln', 1), ge: many('ge', 1), db: many('db', 1),
          ct: many('ct', 1), st: many('st', 1), zp: many('zp', 2), country: many('co', 1), external_id: many('x', 10),
        },
        match: { clientIpAddress: '2001:db8::1', fbp: 'fb.1.1.2', customData: { tier: 'gold', nested: { a: [1, 2] } }, messagingChannel: 'whatsapp' },
      },
      {
        provider: 'google', event: { eventName: 'Lead', eventId: 'e-10', eventTime: 1_764_300_002, actionSource: 'website' },
        mode: 'enhancement', conversionActionId: '9', adUserDataConsent: 'DENIED',
        digests: { hashedPhoneNumber: many('p', 2), hashedFirstName: sha('f'), hashedLastName: sha('l'), hashedStreetAddress: sha('s') },
        match: { userAgent: 'UA', city: 'Tokyo', state: '13', postalCode: '100-0001', countryCode: 'JP', gbraid: 'gb' },
      },
      {
        provider: 'google', api: 'data-manager', event: { eventName: 'Lead', eventId: 'e-11', eventTime: 1_764_300_003, actionSource: 'website' },
        mode: 'leads', conversionActionId: '10', eventSource: 'OTHER', transactionId: 'cc-0123456789abcdef', digests: { phoneNumber: many('q', 10) },
        match: { wbraid: 'wb', ipAddress: '203.0.113.9', regionCode: 'JP', postalCode: '1000001' },
      },
      // Nothing to pack and nothing to seal.
      { provider: 'meta', event: { eventName: 'View', eventId: 'e-12', eventTime: 1, actionSource: 'website' }, userData: {}, match: {} },
      {
        provider: 'google', api: 'data-manager', event: { eventName: 'Buy', eventId: 'e-13', eventTime: 1, actionSource: 'website', orderId: 'o-13' },
        mode: 'web', conversionActionId: '1', eventSource: 'WEB', transactionId: 'o-13', consent: { adPersonalization: 'GRANTED' }, digests: {}, match: {},
      },
    ];
    for (const prepared of events) same(openJobData(stored(toJobData(prepared, keyring, 11)), keyring), { ...prepared, ingestedAt: 11 });
  });

  it('writes schema v3: short keys, every digest packed into one base64url string, the transaction id only when it is not the order id', () => {
    const meta = toJobData(metaEvent, keyring, 1);
    expect(meta).toMatchObject({ v: 3, t: 'm', ingestedAt: 1, l: [0, 0], e: { n: 'Purchase', i: 'order-1', t: 1_764_300_000, a: 'website', v: 4980, c: 'JPY', o: 'order-1' } });
    // em and ph: one digest each, 2 × 32 bytes in 86 base64url characters.
    expect(meta).toMatchObject({ d: expect.stringMatching(/^11\.[A-Za-z0-9_-]{86}$/) as string });
    expect(Buffer.from(String((meta as { d?: string }).d).slice(3), 'base64url').toString('hex')).toBe(`${sha('john.doe@example.com')}${sha('819012345678')}`);
    expect(toJobData(googleEvent, keyring, 1)).toMatchObject({ v: 3, t: 'g', m: 'click', ca: '123', uc: 'GRANTED', d: expect.stringMatching(/^1\./) as string });
    const dm = toJobData(dataManagerEvent, keyring, 3);
    expect(dm).toMatchObject({ v: 3, t: 'd', m: 'click', ca: '123', es: 'WEB', cs: { u: 'GRANTED', p: 'DENIED' }, d: expect.stringMatching(/^1111\./) as string });
    expect(dm).not.toHaveProperty('tx');
    expect(toJobData({ ...dataManagerEvent, transactionId: 'cc-1' }, keyring, 3)).toMatchObject({ tx: 'cc-1' });
    // No 64-character hex anywhere, and no field name of the prepared event.
    const text = JSON.stringify([meta, dm]);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/eventName|userData|digests|sealed|transactionId|emailAddress/);
  });

  it('seals one-letter keys (v3) and never drops a field it has no letter for', () => {
    const data = toJobData(dataManagerEvent, keyring, 1) as { s?: string };
    const plaintext = JSON.parse(keyring.unseal(data.s ?? '', sealingContext('google', 'order-1'))) as Record<string, unknown>;
    expect(plaintext).toEqual({ g: 'Cj0KCQ-canary-gclid', u: 'Mozilla/5.0 canary-agent', i: '203.0.113.7', r: 'US', p: '94045' });
    const future = { ...metaEvent, match: { ...metaEvent.match, futureField: 'kept' } as MetaPreparedEvent['match'] };
    expect(openJobData(toJobData(future, keyring, 1), keyring).match).toEqual(future.match);
  });

  it('opens v2 jobs (literal, as the previous version wrote them) exactly as before, and as their v3 twins', () => {
    const { metaV2, googleAdsV2, dataManagerV2 } = legacyJobs();
    same(openJobData(metaV2, keyring), { ...metaEvent, ingestedAt: 42 });
    same(openJobData(googleAdsV2, keyring), { ...googleEvent, ingestedAt: 7 });
    same(openJobData(dataManagerV2, keyring), { ...dataManagerEvent, ingestedAt: 9 });
    same(openJobData(metaV2, keyring), openJobData(stored(toJobData(metaEvent, keyring, 42)), keyring));
    same(openJobData(googleAdsV2, keyring), openJobData(stored(toJobData(googleEvent, keyring, 7)), keyring));
    same(openJobData(dataManagerV2, keyring), openJobData(stored(toJobData(dataManagerEvent, keyring, 9)), keyring));
  });

  it('opens v1 jobs (literal) as Google Ads API conversions and Meta events', () => {
    const { googleV1, metaV1, dataManagerV2 } = legacyJobs();
    expect(openJobData(googleV1, keyring)).toEqual({
      provider: 'google', event: googleV1.event, mode: 'click', conversionActionId: '123', adUserDataConsent: 'GRANTED', digests: googleV1.digests,
      match: { gclid: 'Cj0KCQ-v1' }, ingestedAt: 5,
    });
    same(openJobData(metaV1, keyring), { ...metaEvent, ingestedAt: 42 });
    // v1 never had Data Manager jobs, and a v2 Google job must name its API.
    expect(() => openJobData({ ...dataManagerV2, v: 1 }, keyring)).toThrow(InvalidJobError);
    const { api: _api, ...withoutApi } = legacyJobs().googleAdsV2;
    expect(() => openJobData(withoutApi, keyring)).toThrow(InvalidJobError);
  });

  it('a v2 job with v3 keys, or a v3 job with v2 keys, is refused', () => {
    const { metaV2 } = legacyJobs();
    const v3 = stored(toJobData(metaEvent, keyring, 1));
    expect(() => openJobData({ ...metaV2, v: 3 }, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData({ ...v3, v: 2 }, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData({ ...v3, userData: metaV2.userData }, keyring)).toThrow(InvalidJobError);
  });

  it('refuses packed digests whose counts and bytes disagree, as invalid_job', () => {
    const v3 = stored(toJobData(dataManagerEvent, keyring, 1));
    const packed = String(v3['d']);
    const [counts = '', bytes = ''] = packed.split('.');
    for (const broken of [`1112.${bytes}`, `111.${bytes}`, `${counts}.${bytes.slice(0, -1)}`, `${counts}.${bytes}AA`, `0000.${bytes}`, `a.${bytes}`]) {
      expect(() => openJobData({ ...v3, d: broken }, keyring)).toThrow(expect.objectContaining({ reason: 'invalid_job' }) as Error);
    }
    // A Data Manager job without an order id must carry its transaction id.
    const { o: _o, ...eventWithoutOrder } = v3['e'] as Record<string, unknown>;
    expect(() => openJobData({ ...v3, e: eventWithoutOrder }, keyring)).toThrow(expect.objectContaining({ reason: 'invalid_job' }) as Error);
  });

  it('omits the sealed part when there is nothing to seal', () => {
    const data = toJobData({ ...googleEvent, match: {} }, keyring, 1);
    expect(data).not.toHaveProperty('s');
    expect(openJobData(data, keyring)).toMatchObject({ match: {} });
  });

  it('rejects job data that breaks the schema, naming paths only', () => {
    const data = stored(toJobData(metaEvent, keyring, 1));
    const bad = { ...data, d: 'plaintext-canary@example.com' };
    expect(() => openJobData(bad, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData(bad, keyring)).toThrow(/\bd\b/);
    try { openJobData(bad, keyring); } catch (error) { expect(String(error)).not.toContain('canary'); }
    const { metaV2 } = legacyJobs();
    const badV2 = { ...metaV2, userData: { em: ['plaintext-canary@example.com'] } };
    expect(() => openJobData(badV2, keyring)).toThrow(/userData\.em\.0/);
    try { openJobData(badV2, keyring); } catch (error) { expect(String(error)).not.toContain('canary'); }
    expect(() => openJobData({ ...data, v: 4 }, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData({ ...data, extra: 'field' }, keyring)).toThrow(InvalidJobError);
  });

  it('refuses a sealed blob moved into another job', () => {
    const data = stored(toJobData(metaEvent, keyring, 1));
    const other = { ...data, e: { ...(data['e'] as object), i: 'order-2' } };
    expect(() => openJobData(other, keyring)).toThrow(/could not be opened/);
  });

  it('says why by type: a schema failure is invalid_job even at the sealed field, a blob that does not open is unsealable', () => {
    const data = stored(toJobData(metaEvent, keyring, 1));
    const reasonOf = (job: unknown) => {
      try {
        openJobData(job, keyring);
      } catch (error) {
        if (error instanceof InvalidJobError) return error.reason;
        throw error;
      }
      return 'opened';
    };
    expect(reasonOf({ ...data, s: 42 })).toBe('invalid_job');
    expect(reasonOf({ ...data, v: 4 })).toBe('invalid_job');
    expect(reasonOf({ ...data, e: { ...(data['e'] as object), i: 'order-2' } })).toBe('unsealable');
    expect(reasonOf({ ...data, s: 'not-a-sealed-blob' })).toBe('unsealable');
    const { metaV2 } = legacyJobs();
    expect(reasonOf({ ...metaV2, sealed: 42 })).toBe('invalid_job');
    expect(reasonOf({ ...metaV2, sealed: 'not-a-sealed-blob' })).toBe('unsealable');
  });

  it('refuses sealed plaintext that is not an object (null, an array, a number) or holds an unknown letter, as invalid_job', () => {
    const data = stored(toJobData(metaEvent, keyring, 1));
    const context = sealingContext('meta', 'order-1');
    for (const plaintext of ['null', '[]', '7', '"text"', '{"z":"unknown letter"}', '{"__proto__":{"x":1}}']) {
      expect(() => openJobData({ ...data, s: keyring.seal(plaintext, context) }, keyring)).toThrow(
        expect.objectContaining({ name: 'InvalidJobError', reason: 'invalid_job' }) as Error,
      );
    }
    const { metaV2 } = legacyJobs();
    expect(() => openJobData({ ...metaV2, sealed: keyring.seal('null', context) }, keyring)).toThrow(expect.objectContaining({ reason: 'invalid_job' }) as Error);
  });

  it('summarizes any version for operators without digests or sealed values', () => {
    const { metaV2, googleV1 } = legacyJobs();
    const fromV3 = summarizeJobData(stored(toJobData(dataManagerEvent, keyring, 1)));
    expect(fromV3).toEqual({
      provider: 'google', event: dataManagerEvent.event, identifierFields: ['emailAddress', 'phoneNumber', 'givenName', 'familyName'],
      sealedMatchFields: true, mode: 'click', conversionActionId: '123',
    });
    expect(summarizeJobData(stored(toJobData(metaEvent, keyring, 1)))).toMatchObject({ provider: 'meta', identifierFields: ['em', 'ph'], sealedMatchFields: true });
    expect(summarizeJobData(metaV2)).toMatchObject({ provider: 'meta', event: metaV2.event, identifierFields: ['em', 'ph'] });
    expect(summarizeJobData(googleV1)).toMatchObject({ provider: 'google', identifierFields: ['hashedEmail'], mode: 'click' });
    expect(summarizeJobData({ v: 3 })).toBeUndefined();
  });
});
