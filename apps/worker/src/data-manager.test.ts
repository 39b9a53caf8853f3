import { parseIngestItem, prepareEvent, type DataManagerPreparedEvent } from '@capconnect/core';
import { parseFailure, readEventStatus, type RequestRecordInput } from '@capconnect/queue';
import { SANDBOX_DEFAULTS } from '@capconnect/sandbox';
import { CANARIES, CANARY_SEARCH, dumpRedis, findCanaries, testRedisUrl } from '@capconnect/testkit';
import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { dataManagerEvent, googleEvent, nowS, sha, startHarness, type Harness } from './test/harness.js';

/**
 * The Data Manager path end to end: producer → Redis → worker → the strict Data Manager fake
 * (docs/architecture.md#data-manager-path).
 */

let harness: Harness | undefined;
afterEach(async () => { await harness?.close(); harness = undefined; });

const ACTION = SANDBOX_DEFAULTS.dataManager.conversionActionIds[0];

async function settled(h: Harness, total: number, timeoutMs = 30_000): Promise<void> {
  await h.waitFor(async () => {
    const counts = await h.counts('google');
    return (counts['completed'] ?? 0) + (counts['failed'] ?? 0) >= total;
  }, timeoutMs);
}

/** An ingest item through the real contract and normalization, prepared for the Data Manager path. */
function prepared(eventId: string, customer: object, event: object = {}, consent?: object): DataManagerPreparedEvent {
  const nowMs = Date.now();
  const parsed = parseIngestItem({
    customer, event: { eventName: 'Purchase', eventId, eventTime: nowS() - 60, orderId: eventId, ...event }, ...(consent && { consent }),
  }, { nowMs });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const result = prepareEvent(parsed.item, {
    nowMs, defaultCallingCode: '1', meta: { enabled: false },
    google: { enabled: true, api: 'data-manager', actions: new Map([['Purchase', { id: ACTION, mode: 'click' }]]) },
  });
  const [first] = result.prepared;
  if (first?.provider !== 'google' || first.api !== 'data-manager') throw new Error(`not prepared: ${JSON.stringify(result.skipped)}`);
  return first;
}

type WireIdentifier = { emailAddress?: string; phoneNumber?: string; address?: Record<string, string> };
const identifiersOf = (h: Harness, transactionId: string): WireIdentifier[] => {
  const found = h.sandbox.control.dataManagerEvents().find((event) => event.event['transactionId'] === transactionId);
  return ((found?.event['userData'] as { userIdentifiers?: WireIdentifier[] } | undefined)?.userIdentifiers) ?? [];
};

describe('Data Manager delivery', () => {
  it('brings every normalization vector to the fake as the right digest', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager' });
    const cases: [string, object, WireIdentifier[]][] = [
      // Google's official vectors (docs/platforms.md#dm-formatting).
      ['v-dana', { email: ' Dana@Example.com ' }, [{ emailAddress: '07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3' }]],
      ['v-phone', { phone: '+1 (800) 555-0100' }, [{ phoneNumber: 'fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30' }]],
      // Gmail drops dots and +tags; other domains keep them.
      ['v-gmail', { email: 'Cloudy.SanFrancisco+shopping@gmail.com' }, [{ emailAddress: sha('cloudysanfrancisco@gmail.com') }]],
      ['v-other', { email: 'user.name+NYC@Example.com' }, [{ emailAddress: sha('user.name+nyc@example.com') }]],
      ['v-jp', { phone: '090-1234-5678', country: 'JP' }, [{ phoneNumber: sha('+819012345678') }]],
      ['v-digest', { email: 'A'.repeat(64) }, [{ emailAddress: 'a'.repeat(64) }]],
      // Names without titles and suffixes, hashed; region and postal code plain.
      ['v-address', { firstName: ' Mrs. Alex ', lastName: 'Smith, Jr.', country: 'us', zip: '94045' }, [{
        address: { givenName: '4135aa9dc1b842a653dea846903ddb95bfb8c5a10c504a7fa16e10bc31d1fdf0', familyName: '6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd', regionCode: 'US', postalCode: '94045' },
      }]],
    ];
    await h.enqueue(cases.map(([id, customer]) => prepared(id, customer, { gclid: `G-${id}` })));
    await settled(h, cases.length);
    expect((await h.counts('google'))['completed']).toBe(cases.length);
    for (const [id, , expected] of cases) expect(identifiersOf(h, id), id).toEqual(expected);
    const [one] = h.sandbox.control.dataManagerEvents();
    expect(one?.event).toMatchObject({ eventSource: 'WEB', adIdentifiers: { gclid: expect.stringMatching(/^G-v-/) as string } });
  });

  it('sends 1,000 events posted at once as one request, each job with its own outcome', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager', deps: { batchLingerMs: 2000 } });
    await h.enqueue(Array.from({ length: 1000 }, (_, i) => dataManagerEvent(`dm-bulk-${i}`)));
    await settled(h, 1000, 60_000);
    expect(h.sandbox.control.dataManagerStats().requests).toBe(1);
    expect(h.sandbox.control.dataManagerEvents()).toHaveLength(1000);
    expect((await h.counts('google'))['completed']).toBe(1000);
    const [job] = await h.producer.queues.google.getJobs(['completed'], 0, 0);
    expect(job?.returnvalue).toMatchObject({ status: 'sent', httpStatus: 200, batchSize: 1000, reference: expect.any(String) as string });
  }, 90_000);

  it('loses nothing under 503 and 429 answers: every event is delivered once, by transaction id', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager', maxAttempts: 12, googleBatchMax: 20, deps: { batchLingerMs: 20 } });
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'http-503', ratio: 0.3 });
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'resource-exhausted', ratio: 0.2, retryAfterS: 1 });
    const ids = Array.from({ length: 200 }, (_, i) => `dm-storm-${i}`);
    await h.enqueue(ids.map((id) => dataManagerEvent(id)));
    await settled(h, ids.length, 60_000);
    expect((await h.counts('google'))['completed']).toBe(ids.length);
    const delivered = new Set(h.sandbox.control.dataManagerEvents().map((event) => event.event['transactionId']));
    expect([...delivered].sort()).toEqual([...ids].sort());
    expect(h.sandbox.control.dataManagerStats().faulted).toBeGreaterThan(0);
  }, 90_000);

  it('dead-letters only the event Google refuses; the others of its request are sent again', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager', deps: { batchLingerMs: 300 } });
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 3 });
    await h.enqueue(Array.from({ length: 8 }, (_, i) => dataManagerEvent(`dm-one-bad-${i}`)));
    await settled(h, 8);
    const failed = await h.producer.queues.google.getJobs(['failed']);
    expect(failed).toHaveLength(1);
    expect(parseFailure(failed[0]?.failedReason)).toMatchObject({ code: 'INVALID_FORMAT', httpStatus: 400 });
    expect(failed[0]?.attemptsMade).toBe(1);
    expect(h.sandbox.control.dataManagerEvents()).toHaveLength(7);
  });

  it('refreshes an expired token and delivers everything', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager', googleAuth: 'refresh' });
    await h.enqueue([dataManagerEvent('dm-token-1')]);
    await settled(h, 1);
    h.sandbox.control.expireAccessTokens();
    await h.enqueue([dataManagerEvent('dm-token-2'), dataManagerEvent('dm-token-3')]);
    await settled(h, 3);
    expect((await h.counts('google'))['completed']).toBe(3);
    expect(h.sandbox.control.oauthStats().refreshes).toBe(2);
  });

  it('parks jobs and raises the blocked gauge on a configuration error, logging the fix without data', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager' });
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'account-terms', count: 1 });
    await h.enqueue([dataManagerEvent('dm-terms-1')]);
    await h.waitFor(async () => (await h.metric('capconnect_provider_blocked', { provider: 'google' })) === 1);
    const logs = h.logLines.join('');
    expect(logs).toContain('TERMS_AND_CONDITIONS_NOT_SIGNED');
    expect(logs).toContain('accept the customer data terms');
    // Parked, not failed: the next try (blockedRetryMs later) goes through and clears the gauge.
    await settled(h, 1);
    expect((await h.counts('google'))['completed']).toBe(1);
    expect(await h.metric('capconnect_provider_blocked', { provider: 'google' })).toBe(0);
    expect(await h.metric('capconnect_provider_errors_total', { provider: 'google', code: 'TERMS_AND_CONDITIONS_NOT_SIGNED' })).toBe(1);
  });

  it('shows field warnings in the event status and counts them; records each accepted request with its events', async () => {
    const records: RequestRecordInput[] = [];
    let permits = 0;
    const h = harness = await startHarness({
      googleApi: 'data-manager', deps: { batchLingerMs: 200 },
      dataManager: { records: { save: (record) => { records.push(record); return Promise.resolve(); } }, permits: { acquire: () => { permits += 1; return Promise.resolve(); } } },
    });
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'field-warning', eventIndex: 0 });
    const ids = ['dm-warn-0', 'dm-warn-1', 'dm-warn-2'];
    await h.enqueue(ids.map((id) => dataManagerEvent(id)));
    await settled(h, 3);
    const statuses = await Promise.all(ids.map(async (id) => (await readEventStatus(h.producer.queues, id))[0]));
    expect(statuses.filter((status) => status?.warnings !== undefined).map((status) => status?.warnings)).toEqual([['WARNING_REASON_INVALID_NUMBER_FORMAT']]);
    expect(statuses.every((status) => status?.state === 'sent')).toBe(true);
    expect(await h.metric('capconnect_provider_field_warnings_total', { provider: 'google', reason: 'WARNING_REASON_INVALID_NUMBER_FORMAT' })).toBe(1);
    expect(records).toEqual([{
      requestId: statuses[0]?.reference, provider: 'google', eventIds: expect.arrayContaining(ids) as string[], sentAtMs: expect.any(Number) as number,
      validateOnly: false, warnings: { WARNING_REASON_INVALID_NUMBER_FORMAT: 1 },
    }]);
    // The batch waited for one permit before it left; that was its only request.
    expect(permits).toBe(h.sandbox.control.dataManagerStats().requests);
  });

  it('delivers a Google Ads API job written before the switch (v1) as a Data Manager click conversion', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager' });
    const legacy = googleEvent('dm-legacy-1', { conversionActionId: ACTION });
    const sealed = h.keyring.seal(JSON.stringify(legacy.match), 'google:dm-legacy-1');
    const v1 = {
      v: 1, provider: 'google', event: legacy.event, mode: 'click', conversionActionId: ACTION, adUserDataConsent: 'GRANTED',
      digests: legacy.digests, sealed, ingestedAt: Date.now(),
    };
    await (h.producer.queues.google as unknown as Queue).add('deliver', v1, { jobId: 'google-legacy-v1', attempts: 3 });
    await settled(h, 1);
    expect((await h.counts('google'))['completed']).toBe(1);
    expect(h.sandbox.control.dataManagerEvents()[0]?.event).toMatchObject({
      transactionId: 'dm-legacy-1', eventSource: 'WEB', consent: { adUserData: 'CONSENT_GRANTED' },
      adIdentifiers: { gclid: legacy.match.gclid }, userData: { userIdentifiers: [{ emailAddress: sha('alexz@example.com') }] },
    });
  });

  it('leaves no canary in Redis, the logs or the metrics', async () => {
    const h = harness = await startHarness({ googleApi: 'data-manager' });
    const customer = {
      email: CANARIES.email, phone: CANARIES.phoneNational, firstName: CANARIES.firstName, lastName: CANARIES.lastName, zip: CANARIES.zip, country: 'JP',
    };
    const event = { gclid: CANARIES.gclid, clientIpAddress: CANARIES.ip, clientUserAgent: CANARIES.userAgent };
    await h.enqueue([prepared('dm-canary-1', customer, event, { adUserData: 'granted' }), prepared('dm-canary-2', customer, { ...event, gclid: 'x' })]);
    h.sandbox.control.addFault({ provider: 'datamanager', kind: 'refuse-event', eventIndex: 1 });
    await settled(h, 2);
    // The fake got the plain values it must get (click id, landing-page device, postal code)…
    expect(JSON.stringify(h.sandbox.control.dataManagerEvents())).toContain(CANARIES.gclid);
    // …and nothing of ours kept any of them.
    const dump = await dumpRedis(testRedisUrl(), `${h.prefix}*`);
    expect(dump.size).toBeGreaterThan(2);
    expect(findCanaries([...dump].flat().join('\n'), CANARY_SEARCH)).toEqual([]);
    expect(findCanaries(h.logLines.join('\n'), CANARY_SEARCH)).toEqual([]);
    expect(findCanaries(await h.registry.metrics(), CANARY_SEARCH)).toEqual([]);
  });
});
