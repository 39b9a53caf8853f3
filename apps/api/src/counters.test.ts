import { createMetrics } from '@capconnect/telemetry';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countersOf } from './counters.js';

describe('pending counters', () => {
  it('show every count at each read of the registry or the counter, once, however often it is read', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    const counters = countersOf(metrics);
    // The same catalogue gives the same pending counts (two apps on one registry count once each).
    expect(countersOf(metrics)).toBe(counters);
    counters.identifiers.add('meta', 'em');
    counters.identifiers.add('meta', 'em', 2);
    counters.identifiers.add('google', 'gclid');
    counters.httpRequests.add('/v1/collect', '202');
    counters.ingestEvents.add('queued', '', 5);
    expect(await registry.metrics()).toContain('capconnect_identifiers_total{provider="meta",field="em"} 3');
    expect(await registry.metrics()).toContain('capconnect_identifiers_total{provider="meta",field="em"} 3');
    counters.identifiers.add('meta', 'em');
    const values = (await metrics.identifiers.get()).values.map((value) => [value.labels.provider, value.labels.field, value.value]);
    expect(values).toEqual([['meta', 'em', 4], ['google', 'gclid', 1]]);
    const text = await registry.metrics();
    expect(text).toContain('capconnect_http_requests_total{route="/v1/collect",status="202"} 1');
    expect(text).toContain('capconnect_ingest_events_total{outcome="queued"} 5');
    expect(text).toContain('capconnect_ingest_events_total{outcome="invalid"} 0');
  });

  it('keep a read hook the counter already had', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    let earlierHookRuns = 0;
    (metrics.httpRequests as unknown as { collect: () => void }).collect = () => { earlierHookRuns += 1; };
    countersOf(metrics).httpRequests.add('/healthz', '200');
    expect(await registry.metrics()).toContain('capconnect_http_requests_total{route="/healthz",status="200"} 1');
    expect(earlierHookRuns).toBe(1);
  });
});
