import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { findCanaries } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { InvalidJobError, openJobData, sealingContext, toJobData } from './job-data.js';
import { dataManagerEvent, googleEvent, metaEvent, sha } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());

describe('job data', () => {
  it('seals every match field: the serialized job holds no plaintext of them', () => {
    for (const prepared of [metaEvent, googleEvent, dataManagerEvent]) {
      const text = JSON.stringify(toJobData(prepared, keyring, 1));
      for (const value of Object.values(prepared.match)) expect(text).not.toContain(String(value));
    }
  });

  it('seals the business-messaging ids too, and opens them again (no job schema change)', () => {
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

  it('round-trips through the schema and the seal', () => {
    expect(openJobData(toJobData(metaEvent, keyring, 42), keyring)).toEqual({ ...metaEvent, ingestedAt: 42 });
    expect(openJobData(JSON.parse(JSON.stringify(toJobData(googleEvent, keyring, 7))), keyring)).toEqual({ ...googleEvent, ingestedAt: 7 });
  });

  it('writes schema v2: Google jobs name their API, Data Manager digests under the API\'s own names', () => {
    expect(toJobData(metaEvent, keyring, 1)).toMatchObject({ v: 2, provider: 'meta' });
    expect(toJobData(googleEvent, keyring, 1)).toMatchObject({ v: 2, provider: 'google', api: 'ads-api' });
    const data = toJobData(dataManagerEvent, keyring, 3);
    expect(data).toMatchObject({
      v: 2, provider: 'google', api: 'data-manager', mode: 'click', eventSource: 'WEB', transactionId: 'order-1',
      consent: { adUserData: 'GRANTED', adPersonalization: 'DENIED' }, digests: dataManagerEvent.digests,
    });
    expect(openJobData(JSON.parse(JSON.stringify(data)), keyring)).toEqual({ ...dataManagerEvent, ingestedAt: 3 });
  });

  it('opens a v1 job written by the previous version as a Google Ads API conversion', () => {
    const sealed = keyring.seal(JSON.stringify({ gclid: 'Cj0KCQ-v1' }), 'google:legacy-1');
    const v1 = {
      v: 1, provider: 'google', ingestedAt: 5, mode: 'click', conversionActionId: '123', adUserDataConsent: 'GRANTED', sealed,
      event: { eventName: 'Purchase', eventId: 'legacy-1', eventTime: 1_764_300_000, orderId: 'o-1', actionSource: 'website' },
      digests: { hashedEmail: [sha('a@example.com')] },
    };
    const opened = openJobData(v1, keyring);
    expect(opened).toEqual({ provider: 'google', event: v1.event, mode: 'click', conversionActionId: '123', adUserDataConsent: 'GRANTED', digests: v1.digests, match: { gclid: 'Cj0KCQ-v1' }, ingestedAt: 5 });
    const metaV1 = { ...toJobData(metaEvent, keyring, 1), v: 1 };
    expect(openJobData(metaV1, keyring)).toMatchObject({ provider: 'meta' });
    // v1 never had Data Manager jobs, and a v2 Google job must name its API.
    expect(() => openJobData({ ...toJobData(dataManagerEvent, keyring, 1), v: 1 }, keyring)).toThrow(InvalidJobError);
    const { api: _api, ...withoutApi } = toJobData(googleEvent, keyring, 1) as unknown as Record<string, unknown>;
    expect(() => openJobData(withoutApi, keyring)).toThrow(InvalidJobError);
  });

  it('omits the sealed part when there is nothing to seal', () => {
    const data = toJobData({ ...googleEvent, match: {} }, keyring, 1);
    expect(data).not.toHaveProperty('sealed');
    expect(openJobData(data, keyring)).toMatchObject({ match: {} });
  });

  it('rejects job data that breaks the schema, naming paths only', () => {
    const data = toJobData(metaEvent, keyring, 1) as unknown as Record<string, unknown>;
    const bad = { ...data, userData: { em: ['plaintext-canary@example.com'] } };
    expect(() => openJobData(bad, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData(bad, keyring)).toThrow(/userData\.em\.0/);
    try { openJobData(bad, keyring); } catch (error) { expect(String(error)).not.toContain('canary'); }
    expect(() => openJobData({ ...data, v: 3 }, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData({ ...data, extra: 'field' }, keyring)).toThrow(InvalidJobError);
  });

  it('refuses a sealed blob moved into another job', () => {
    const data = toJobData(metaEvent, keyring, 1);
    const other = { ...data, event: { ...data.event, eventId: 'order-2' } };
    expect(() => openJobData(other, keyring)).toThrow(/could not be opened/);
  });

  it('says why by type: a schema failure is invalid_job even at the field `sealed`, a blob that does not open is unsealable', () => {
    const data = toJobData(metaEvent, keyring, 1);
    const reasonOf = (job: unknown) => {
      try {
        openJobData(job, keyring);
      } catch (error) {
        if (error instanceof InvalidJobError) return error.reason;
        throw error;
      }
      return 'opened';
    };
    expect(reasonOf({ ...data, sealed: 42 })).toBe('invalid_job');
    expect(reasonOf({ ...data, v: 3 })).toBe('invalid_job');
    expect(reasonOf({ ...data, event: { ...data.event, eventId: 'order-2' } })).toBe('unsealable');
    expect(reasonOf({ ...data, sealed: 'not-a-sealed-blob' })).toBe('unsealable');
  });

  it('refuses sealed plaintext that is not an object (null, an array, a number) as invalid_job, not a TypeError later', () => {
    const data = toJobData(metaEvent, keyring, 1);
    const context = sealingContext('meta', data.event.eventId);
    for (const plaintext of ['null', '[]', '7', '"text"']) {
      expect(() => openJobData({ ...data, sealed: keyring.seal(plaintext, context) }, keyring)).toThrow(
        expect.objectContaining({ name: 'InvalidJobError', reason: 'invalid_job' }) as Error,
      );
    }
  });

});
