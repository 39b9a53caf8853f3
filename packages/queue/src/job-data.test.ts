import { createKeyring, generateKeyText, type MetaPreparedEvent } from '@capconnect/core';
import { findCanaries } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { InvalidJobError, openJobData, sealingContext, toJobData } from './job-data.js';
import { googleEvent, metaEvent } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());

describe('job data', () => {
  it('seals every match field: the serialized job holds no plaintext of them', () => {
    for (const prepared of [metaEvent, googleEvent]) {
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
    expect(() => openJobData({ ...data, v: 2 }, keyring)).toThrow(InvalidJobError);
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
    expect(reasonOf({ ...data, v: 2 })).toBe('invalid_job');
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
