import { createLogger, createMetrics, memoryDestination } from '@capconnect/telemetry';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { requestObserver } from './start-worker.js';

describe('provider request observer', () => {
  it('counts every version warning and logs only the first per provider', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    const destination = memoryDestination();
    const observe = requestObserver(metrics, createLogger({ service: 'worker', destination, level: 'info' }));
    const record = { provider: 'meta' as const, httpStatus: 200, durationMs: 5, batchSize: 3 };
    observe(record);
    for (let index = 0; index < 3; index += 1) observe({ ...record, versionWarning: 'v27.0 nears its end' });
    const values = (await metrics.providerVersionWarnings.get()).values;
    expect(values.find((value) => value.labels.provider === 'meta')?.value).toBe(3);
    expect(values.find((value) => value.labels.provider === 'google')?.value).toBe(0);
    const warnings = destination.lines.filter((line) => line.includes('version warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('META_API_VERSION');
  });
});
