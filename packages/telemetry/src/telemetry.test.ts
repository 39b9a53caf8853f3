import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger, createMetrics, memoryDestination, startMetricsServer, statusClass } from './index.js';

describe('metrics', () => {
  it('registers the metric catalogue of docs/architecture.md#metrics-and-logs on the given registry, not the global one', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    metrics.ingestEvents.inc({ outcome: 'queued' });
    const text = await registry.metrics();
    for (const name of [
      'capconnect_http_requests_total', 'capconnect_http_request_duration_seconds', 'capconnect_ingest_events_total',
      'capconnect_identifiers_total', 'capconnect_dispatch_events_total', 'capconnect_provider_requests_total',
      'capconnect_provider_request_duration_seconds', 'capconnect_provider_errors_total', 'capconnect_provider_batch_size',
      'capconnect_delivery_latency_seconds', 'capconnect_queue_jobs', 'capconnect_oauth_refresh_total', 'process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# HELP ${name} `);
    }
    expect(text).toContain('capconnect_ingest_events_total{outcome="queued"} 1');
    expect(text).toContain('capconnect_ingest_events_total{outcome="unavailable"} 0');
    expect(text).toContain('capconnect_dispatch_events_total{provider="google",outcome="expired"} 0');
  });

  it('exposes no gauge whose name ends in _total (promtool check metrics)', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    const gauges = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((match) => match[1]);
    expect(gauges.filter((name) => name?.endsWith('_total'))).toEqual([]);
  });

  it('keeps error-code labels bounded', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    metrics.recordProviderError('meta', 'meta_613');
    metrics.recordProviderError('meta', 'some-new-code-user@example.com');
    for (const code of ['invalid_job', 'http_413', 'payload_too_large']) metrics.recordProviderError('google', code);
    const text = await registry.metrics();
    for (const code of ['invalid_job', 'http_413', 'payload_too_large']) expect(text).toContain(`capconnect_provider_errors_total{provider="google",code="${code}"} 1`);
    expect(text).toContain('capconnect_provider_errors_total{provider="meta",code="meta_613"} 1');
    expect(text).toContain('capconnect_provider_errors_total{provider="meta",code="other"} 1');
    expect(text).not.toContain('example.com');
  });

  it('counts field warnings by a bounded reason label', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    metrics.recordFieldWarnings('google', 'WARNING_REASON_INVALID_NUMBER_FORMAT', 2);
    metrics.recordFieldWarnings('google', 'quoted user@example.com', 1);
    const text = await registry.metrics();
    expect(text).toContain('capconnect_provider_field_warnings_total{provider="google",reason="WARNING_REASON_INVALID_NUMBER_FORMAT"} 2');
    expect(text).toContain('capconnect_provider_field_warnings_total{provider="google",reason="other"} 1');
    expect(text).not.toContain('example.com');
  });

  it('classifies status codes', () => {
    expect([statusClass(200), statusClass(429), statusClass(503), statusClass(undefined)]).toEqual(['2xx', '4xx', '5xx', 'network']);
  });

  it('serves /metrics on its own port and nothing else', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const server = await startMetricsServer(registry, 0, '127.0.0.1');
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('capconnect_redis_up 1');
      expect((await fetch(`http://127.0.0.1:${server.port}/v1/collect`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('listens on loopback only unless given another interface (it has no authentication)', async () => {
    const server = await startMetricsServer(new Registry(), 0);
    try {
      expect(server.address).toBe('127.0.0.1');
    } finally {
      await server.close();
    }
  });

  it('answers /healthz beside /metrics when given a health function', async () => {
    const registry = new Registry();
    const server = await startMetricsServer(registry, 0, '127.0.0.1', { health: () => ({ service: 'worker', redis: true }) });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', service: 'worker', redis: true });
    } finally {
      await server.close();
    }
  });
});

describe('logger', () => {
  it('writes JSON lines with the service name and redacts secrets and bodies', () => {
    const destination = memoryDestination();
    const logger = createLogger({ service: 'api', destination });
    logger.info({ req: { headers: { 'x-capconnect-token': 'secret-token-canary' }, body: { email: 'canary@example.com' } }, route: '/v1/collect' }, 'request');
    logger.info({ customer: { phone: '090-1234-5678' }, token: 'oauth-canary' }, 'oops');
    const text = destination.lines.join('');
    expect(text).not.toContain('secret-token-canary');
    expect(text).not.toContain('canary@example.com');
    expect(text).not.toContain('090-1234-5678');
    expect(text).not.toContain('oauth-canary');
    const first = JSON.parse(destination.lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ service: 'api', level: 'info', route: '/v1/collect', msg: 'request' });
  });
});
