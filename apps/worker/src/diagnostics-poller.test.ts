import { DataManagerClient, HttpClient, buildDataManagerEvent, createDataManagerTokenSource, type BuiltDataManagerEvent, type DataManagerEventInput } from '@capconnect/providers';
import { createRedisConnection, createRequestQuota, createRequestRecords, type RequestRecords } from '@capconnect/queue';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { createMetrics, memoryDestination, createLogger, type Metrics } from '@capconnect/telemetry';
import { CANARIES, CANARY_SEARCH, dumpRedis, findCanaries, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDiagnosticsPoller, type DiagnosticsPollerOptions } from './diagnostics-poller.js';

const D = SANDBOX_DEFAULTS.dataManager;
const PROCESSING_MS = 60_000;
const DELAY_MS = 1000;
let sandbox: Sandbox;
const http = new HttpClient({ timeoutMs: 5000 });
const client = () => new DataManagerClient({
  http, tokens: createDataManagerTokenSource({ kind: 'static', accessToken: D.staticAccessToken }), apiBaseUrl: sandbox.dataManagerBaseUrl,
  destination: { operatingAccountId: D.operatingAccountId }, validateOnly: false,
});

beforeAll(async () => { sandbox = await startSandbox({ port: 0, dataManager: { processingDelayMs: PROCESSING_MS } }); });
afterAll(async () => { await sandbox.close(); await http.close(); });
beforeEach(() => { sandbox.control.reset(); });
const cleanups: (() => void)[] = [];
afterEach(() => { for (const cleanup of cleanups.splice(0)) cleanup(); });

const T0 = Date.UTC(2026, 10, 30, 18, 0, 0);
const eventTime = Math.floor(Date.now() / 1000) - 3600;
function built(eventId: string, gclid: string, withTransactionId: boolean): BuiltDataManagerEvent {
  const input: DataManagerEventInput = {
    eventId, eventName: 'purchase', eventTime, transactionId: `ord-${eventId}`, conversionActionId: D.conversionActionIds[0], mode: 'click',
    eventSource: 'WEB', consent: { adUserData: 'GRANTED' }, digests: {}, plain: { gclid },
  };
  const event = buildDataManagerEvent(input);
  return withTransactionId ? event : { ...event, event: { ...event.event, transactionId: undefined } } as unknown as BuiltDataManagerEvent;
}

interface Setup { records: RequestRecords; metrics: Metrics; clock: { nowMs: number }; prefix: string; polls: () => Promise<number>; options: DiagnosticsPollerOptions }
function setup(overrides: Partial<DiagnosticsPollerOptions> = {}): Setup {
  const prefix = freshPrefix();
  const redis = createRedisConnection(testRedisUrl(), 'worker');
  redis.on('error', () => undefined);
  cleanups.push(() => { redis.disconnect(); });
  const clock = { nowMs: T0 };
  const records = createRequestRecords(redis, { prefix, firstPollDelayMs: DELAY_MS });
  const permits = createRequestQuota(redis, { prefix, name: 'google-read', perMinute: 250, perDay: 90_000, nowMs: () => clock.nowMs });
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const options: DiagnosticsPollerOptions = {
    records, client: client(), permits, metrics, logger: createLogger({ service: 'worker', destination: memoryDestination() }), intervalMs: 1000,
    firstPollDelayMs: DELAY_MS, nowMs: () => clock.nowMs, ...overrides,
  };
  return { records, metrics, clock, prefix, options, polls: async () => (await permits.usage()).day };
}

async function diagnosticsCounts(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.diagnostics.get();
  return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [`${v.labels.status}/${v.labels.reason}`, v.value]));
}

describe('diagnostics poller against the Data Manager fake', () => {
  it('polls after the delay, backs off while PROCESSING, then records the verdict with error counts and counts metrics', async () => {
    const s = setup();
    const poller = createDiagnosticsPoller(s.options);
    // Two events with the same click and time and no transaction id: Google counts the second as a duplicate.
    const { accepted } = await client().ingest([built(CANARIES.phoneE164, 'gclid-a', false), built('ev-2', 'gclid-a', false), built('ev-3', 'gclid-b', true)]);
    const requestId = accepted[0]!.requestId;
    await s.records.save({ requestId, provider: 'google', eventIds: [CANARIES.phoneE164, 'ev-2', 'ev-3'], sentAtMs: T0, validateOnly: false, warnings: {} });

    expect(await poller.tick()).toBe(0); // not due before the delay
    s.clock.nowMs = T0 + DELAY_MS;
    expect(await poller.tick()).toBe(1);
    expect(await s.records.forEvent('ev-2')).toMatchObject({ state: 'pending', requestStatus: 'PROCESSING', attempts: 1, checkedAt: T0 + DELAY_MS });
    // Backoff: the next polls come 1 s, then 2 s, then 4 s later.
    s.clock.nowMs += DELAY_MS;
    expect(await poller.tick()).toBe(1);
    s.clock.nowMs += DELAY_MS;
    expect(await poller.tick()).toBe(0);
    s.clock.nowMs += DELAY_MS;
    expect(await poller.tick()).toBe(1);
    expect(await s.polls()).toBe(3); // one read permit per status call

    sandbox.control.advanceClock(PROCESSING_MS);
    s.clock.nowMs += 4 * DELAY_MS;
    expect(await poller.tick()).toBe(1);
    expect(await s.records.forEvent(CANARIES.phoneE164)).toMatchObject({
      state: 'final', requestStatus: 'PARTIAL_SUCCESS', attempts: 4,
      destinations: [{ conversionActionId: D.conversionActionIds[0], requestStatus: 'PARTIAL_SUCCESS', errorCounts: { PROCESSING_ERROR_REASON_DUPLICATE_GCLID: 1 }, warningCounts: {}, recordCount: 3 }],
    });
    expect(await diagnosticsCounts(s.metrics)).toEqual({ 'processed/none': 2, 'failed/PROCESSING_ERROR_REASON_DUPLICATE_GCLID': 1 });
    expect(await s.polls()).toBe(4);
    s.clock.nowMs += 86_400_000;
    expect(await poller.tick()).toBe(0); // final: never polled again

    const dump = [...(await dumpRedis(testRedisUrl(), `${s.prefix}*`))].map(([key, value]) => `${key}\n${value}`).join('\n');
    expect(findCanaries(dump, CANARY_SEARCH)).toEqual([]);
  });

  it('records SUCCESS for a clean request', async () => {
    const s = setup();
    const { accepted } = await client().ingest([built('ok-1', 'gclid-c', true)]);
    await s.records.save({ requestId: accepted[0]!.requestId, provider: 'google', eventIds: ['ok-1'], sentAtMs: T0, validateOnly: false, warnings: {} });
    sandbox.control.advanceClock(PROCESSING_MS);
    s.clock.nowMs = T0 + DELAY_MS;
    expect(await createDiagnosticsPoller(s.options).tick()).toBe(1);
    expect(await s.records.forEvent('ok-1')).toMatchObject({ state: 'final', requestStatus: 'SUCCESS' });
    expect(await diagnosticsCounts(s.metrics)).toEqual({ 'processed/none': 1 });
  });

  it('marks an id Google does not know (INVALID_REQUEST_ID) unresolved at once, and gives up after 24 h of PROCESSING', async () => {
    const s = setup({ maxAgeMs: 5 * DELAY_MS });
    const poller = createDiagnosticsPoller(s.options);
    await s.records.save({ requestId: 'not-a-google-request', provider: 'google', eventIds: ['u-1', 'u-2'], sentAtMs: T0, validateOnly: false, warnings: {} });
    const { accepted } = await client().ingest([built('slow-1', 'gclid-d', true)]);
    await s.records.save({ requestId: accepted[0]!.requestId, provider: 'google', eventIds: ['slow-1'], sentAtMs: T0, validateOnly: false, warnings: {} });
    s.clock.nowMs = T0 + DELAY_MS;
    expect(await poller.tick()).toBe(2);
    expect(await s.records.forEvent('u-1')).toMatchObject({ state: 'unresolved', unresolvedReason: 'INVALID_REQUEST_ID' });
    // The last poll is at the deadline exactly, whatever the backoff says; still PROCESSING then: TIMED_OUT.
    for (const at of [2, 4, 5]) {
      s.clock.nowMs = T0 + at * DELAY_MS;
      expect(await poller.tick(), `at ${at} s`).toBe(1);
    }
    expect(await s.records.forEvent('slow-1')).toMatchObject({ state: 'unresolved', unresolvedReason: 'TIMED_OUT', attempts: 4 });
    expect(await diagnosticsCounts(s.metrics)).toEqual({ 'unresolved/INVALID_REQUEST_ID': 2, 'unresolved/TIMED_OUT': 1 });
  });

  it('keeps a record due when the status read fails transiently (fault injected), and polls it again', async () => {
    const s = setup();
    const { accepted } = await client().ingest([built('f-1', 'gclid-e', true)]);
    await s.records.save({ requestId: accepted[0]!.requestId, provider: 'google', eventIds: ['f-1'], sentAtMs: T0, validateOnly: false, warnings: {} });
    sandbox.control.advanceClock(PROCESSING_MS);
    sandbox.control.addFault({ provider: 'datamanager', kind: 'http-503', count: 1 });
    const poller = createDiagnosticsPoller(s.options);
    s.clock.nowMs = T0 + DELAY_MS;
    expect(await poller.tick()).toBe(1);
    expect(await s.records.forEvent('f-1')).toMatchObject({ state: 'pending' });
    s.clock.nowMs += DELAY_MS;
    expect(await poller.tick()).toBe(1);
    expect(await s.records.forEvent('f-1')).toMatchObject({ state: 'final', requestStatus: 'SUCCESS' });
  });
});
