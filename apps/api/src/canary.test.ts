import { createHash } from 'node:crypto';
import { createKeyring } from '@capconnect/core';
import { openJobData } from '@capconnect/queue';
import { CANARIES, CANARY_SEARCH as SEARCH, dumpRedis, findCanaries } from '@capconnect/testkit';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { NOW_MS, SECRET, reply, startHarness, type Harness } from './test/harness.js';

/**
 * The privacy promise (docs/architecture.md#privacy-model): raw personal data exists only in the memory of one request. Events
 * full of distinctive values go through every route; then every Redis key and value under the
 * test prefix, every log line, every response and the metrics text are scanned for them.
 */

const harnesses: Harness[] = [];
afterEach(async () => { for (const harness of harnesses.splice(0)) await harness.close(); });

function canaryEvent(eventId: string, eventName = 'Purchase', phone: string = CANARIES.phoneNational) {
  return {
    customer: {
      email: [CANARIES.email, `  ${CANARIES.email.toUpperCase()} `],
      phone: [phone, CANARIES.phoneDigits],
      firstName: CANARIES.firstName, lastName: CANARIES.lastName, city: CANARIES.city, state: CANARIES.state,
      zip: CANARIES.zip, country: 'JP', streetAddress: CANARIES.street, dateOfBirth: CANARIES.dateOfBirth,
      externalId: CANARIES.externalId, gender: 'female',
    },
    event: {
      eventName, eventId, orderId: `${eventId}-order`, eventTime: Math.floor(NOW_MS / 1000) - 30, value: 12, currency: 'JPY',
      actionSource: 'website', eventSourceUrl: CANARIES.url, clientIpAddress: CANARIES.ip, clientUserAgent: CANARIES.userAgent,
      fbc: CANARIES.fbc, fbp: CANARIES.fbp, gclid: CANARIES.gclid, customData: { note: CANARIES.custom, nested: { again: CANARIES.custom } },
    },
    consent: { adUserData: 'granted', limitedDataUse: true },
  };
}

describe('PII canary', () => {
  it.each([
    ['ads-api', { GOOGLE_API: 'ads-api', GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click,Lead=222:enhancement' }],
    ['data-manager', { GOOGLE_API: 'data-manager', GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click,Lead=222:leads' }],
  ])('no raw personal value reaches Redis, a log line, a response or the metrics (Google through %s)', async (api, env) => {
    const h = startHarness({ env });
    harnesses.push(h);
    const responses: string[] = [];
    const send = async (path: string, body: unknown) => {
      const res = reply(await request(h.app).post(path).set('x-capconnect-token', SECRET).set('content-type', 'application/json').send(JSON.stringify(body)));
      responses.push(res.text, JSON.stringify(res.headers));
      return res;
    };

    expect((await send('/v1/collect', canaryEvent('c-1'))).status).toBe(202);
    expect((await send('/v1/collect', canaryEvent('c-2', 'Lead', CANARIES.phoneInternational))).status).toBe(202);
    expect((await send('/v1/collect?wait=0.2', canaryEvent('c-3', 'Purchase', CANARIES.phoneE164))).status).toBe(202);
    const batch = await send('/v1/collect/batch', [
      canaryEvent('c-4'),
      canaryEvent('c-1'),
      { ...canaryEvent('c-5'), customer: { email: `not-an-email ${CANARIES.email}`, phone: `tel ${CANARIES.phoneNational} zz` } },
      { ...canaryEvent('c-6'), extra: CANARIES.email },
      { customer: { email: 12 }, event: { eventName: CANARIES.email, eventTime: CANARIES.dateOfBirth } },
    ]);
    expect(batch.body.results!.map((result) => result.status)).toEqual(['queued', 'duplicate', 'queued', 'invalid', 'invalid']);
    expect((await send('/v1/preview', canaryEvent('c-7', 'Lead'))).status).toBe(200);
    expect((await send('/v1/collect', { event: { eventName: 'Purchase', clientIpAddress: CANARIES.ip, eventSourceUrl: `not a url ${CANARIES.url}` } })).status).toBe(400);
    for (const eventId of ['c-1', 'c-2']) {
      const status = await request(h.app).get(`/v1/events/${eventId}`).set('x-capconnect-token', SECRET);
      expect(status.status).toBe(200);
      responses.push(status.text);
    }

    const dump = await dumpRedis(h.redisUrl, `${h.prefix}*`);
    expect(dump.size).toBeGreaterThan(5);
    const redisText = [...dump].flat().join('\n');
    // The digests are there: every job in Redis opens, and Meta's carry the canary email's digest.
    const keyring = createKeyring(h.config.queueEncryptionKey);
    const jobData = [...dump.values()].flatMap((value) => {
      if (!value.startsWith('{')) return [];
      const fields = JSON.parse(value) as Record<string, unknown>;
      return typeof fields['data'] === 'string' && typeof fields['opts'] === 'string' ? [JSON.parse(fields['data']) as unknown] : [];
    });
    expect(jobData.length).toBeGreaterThan(0);
    const opened = jobData.map((data) => openJobData(data, keyring));
    const emailDigest = createHash('sha256').update(CANARIES.email.toLowerCase()).digest('hex');
    expect(opened.some((job) => job.provider === 'meta' && job.userData.em?.includes(emailDigest))).toBe(true);
    expect(opened.some((job) => job.provider === 'google' && (job.api ?? 'ads-api') === api)).toBe(true);
    expect(findCanaries(redisText, SEARCH)).toEqual([]);
    expect(findCanaries(h.logLines.join('\n'), [...SEARCH, SECRET])).toEqual([]);
    expect(h.logLines.length).toBeGreaterThanOrEqual(8);
    expect(findCanaries(responses.join('\n'), [...SEARCH, SECRET])).toEqual([]);
    expect(findCanaries(await h.registry.metrics(), SEARCH)).toEqual([]);
  });
});
