import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { createDiagnosticsMetrics } from './diagnostics-metrics.js';

/**
 * The metric catalogue (docs/architecture.md#metrics-and-logs). Names are a contract: the dashboard and the alert rules in
 * deploy/ query them. Base units, `_total` counters, histograms rather than summaries, and no
 * ids in labels (docs/platforms.md#prometheus-naming: cardinality).
 */

export const PROVIDER_LABELS = ['meta', 'google'] as const;

/** Error codes that get their own label value; anything else is counted as `other`. */
export const DEFAULT_ERROR_CODES: ReadonlySet<string> = new Set([
  'timeout', 'network', 'http_401', 'http_403', 'http_404', 'http_429', 'http_5xx', 'invalid_response',
  'meta_1', 'meta_2', 'meta_4', 'meta_10', 'meta_17', 'meta_100', 'meta_190', 'meta_200', 'meta_341', 'meta_368', 'meta_613', 'meta_80004',
  'partial_batch', 'expired', 'unsealable', 'invalid_job', 'internal', 'http_413', 'payload_too_large', 'oauth_invalid_grant', 'oauth_error',
  'RESOURCE_EXHAUSTED', 'RESOURCE_TEMPORARILY_EXHAUSTED', 'INTERNAL_ERROR', 'TRANSIENT_ERROR', 'DEADLINE_EXCEEDED',
  'OAUTH_TOKEN_EXPIRED', 'OAUTH_TOKEN_INVALID', 'OAUTH_TOKEN_REVOKED', 'DEVELOPER_TOKEN_INVALID',
  'CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS', 'CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS', 'NO_CONVERSION_ACTION_FOUND',
  'TOO_RECENT_CONVERSION_ACTION', 'TOO_RECENT_EVENT', 'TOO_RECENT_CONVERSION',
  'UNPARSEABLE_GCLID', 'CLICK_NOT_FOUND', 'CLICK_CONVERSION_ALREADY_EXISTS', 'ORDER_ID_ALREADY_IN_USE', 'DUPLICATE_ORDER_ID',
  'CONVERSION_ALREADY_ENHANCED', 'CONVERSION_NOT_FOUND', 'EXPIRED_EVENT', 'INVALID_USER_IDENTIFIER', 'UNSUPPORTED_USER_IDENTIFIER',
  'GBRAID_WBRAID_BOTH_SET', 'MISSING_ORDER_ID_FOR_WEBPAGE', 'meta_2635',
  'CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE', 'NOT_ALLOWLISTED', 'quota_unavailable',
  // Data Manager (docs/platforms.md#dm-errors)
  'UNAVAILABLE', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'SERVICE_DISABLED', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'TERMS_AND_CONDITIONS_NOT_SIGNED',
  'INVALID_ARGUMENT', 'INVALID_FORMAT', 'INVALID_HEX_ENCODING', 'NO_IDENTIFIERS_PROVIDED', 'EVENT_TIME_INVALID', 'INVALID_CONVERSION_ACTION_ID',
  'credentials_not_found', 'credentials_unreadable', 'dm_enhancement_not_supported', 'dm_event_too_large',
]);

/** A Data Manager `WarningReason` name; anything else is counted as `other` (bounded label values). */
const WARNING_REASON = /^WARNING_REASON_[A-Z0-9_]{1,64}$/;

export interface MetricsOptions {
  /**
   * Error codes allowed as label values; others become `other`.
   * @defaultValue `DEFAULT_ERROR_CODES`
   */
  errorCodes?: ReadonlySet<string>;
  /**
   * Collect prom-client's default process metrics.
   * @defaultValue true
   */
  defaultMetrics?: boolean;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Creates every CapConnect metric on `registry` (never the global one). */
export function createMetrics(registry: Registry, options: MetricsOptions = {}) {
  const registers = [registry];
  const errorCodes = options.errorCodes ?? DEFAULT_ERROR_CODES;
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // These three are gauges named `_total`, which `promtool check metrics` rejects (a `_total`
    // suffix promises a counter). Handle/request counts are not needed to operate CapConnect.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }

  const httpRequests = new Counter({
    name: 'capconnect_http_requests_total', help: 'HTTP requests served, by route and status code.',
    labelNames: ['route', 'status'] as const, registers,
  });
  const httpRequestDuration = new Histogram({
    name: 'capconnect_http_request_duration_seconds', help: 'HTTP request duration, by route and status code.',
    labelNames: ['route', 'status'] as const, registers,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const ingestEvents = new Counter({
    name: 'capconnect_ingest_events_total', help: 'Ingested events by outcome: queued, duplicate, invalid, skipped, unavailable.',
    labelNames: ['outcome'] as const, registers,
  });
  const identifiers = new Counter({
    name: 'capconnect_identifiers_total', help: 'Customer identifiers queued per provider and field (match-key coverage).',
    labelNames: ['provider', 'field'] as const, registers,
  });
  const dispatchEvents = new Counter({
    name: 'capconnect_dispatch_events_total', help: 'Delivery outcomes per provider: sent, retried, failed, expired.',
    labelNames: ['provider', 'outcome'] as const, registers,
  });
  const providerRequests = new Counter({
    name: 'capconnect_provider_requests_total', help: 'Requests to provider APIs, by HTTP status class (2xx, 4xx, 5xx, network).',
    labelNames: ['provider', 'status_class'] as const, registers,
  });
  const providerRequestDuration = new Histogram({
    name: 'capconnect_provider_request_duration_seconds', help: 'Provider API request duration.',
    labelNames: ['provider', 'status_class'] as const, registers,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const providerErrors = new Counter({
    name: 'capconnect_provider_errors_total', help: 'Provider errors by code (unknown codes are counted as other).',
    labelNames: ['provider', 'code'] as const, registers,
  });
  const providerBatchSize = new Histogram({
    name: 'capconnect_provider_batch_size', help: 'Events per provider request.',
    labelNames: ['provider'] as const, registers,
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
  });
  const deliveryLatency = new Histogram({
    name: 'capconnect_delivery_latency_seconds', help: 'Time from ingest to provider acknowledgement.',
    labelNames: ['provider'] as const, registers,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
  });
  const queueJobs = new Gauge({
    name: 'capconnect_queue_jobs', help: 'Jobs per queue, shard and state (waiting, active, delayed, failed, completed).',
    labelNames: ['queue', 'shard', 'state'] as const, registers,
  });
  const providerFieldWarnings = new Counter({
    name: 'capconnect_provider_field_warnings_total',
    help: 'Optional values a provider ignored in accepted events (Google Data Manager fieldWarnings), by reason.',
    labelNames: ['provider', 'reason'] as const, registers,
  });
  const oauthRefresh = new Counter({
    name: 'capconnect_oauth_refresh_total', help: 'Google OAuth access-token refreshes by outcome.',
    labelNames: ['outcome'] as const, registers,
  });
  const providerBlocked = new Gauge({
    name: 'capconnect_provider_blocked', help: '1 while a provider is held back by an account or configuration error (revoked token, terms not accepted).',
    labelNames: ['provider'] as const, registers,
  });
  const providerVersionWarnings = new Counter({
    name: 'capconnect_provider_version_warnings_total', help: 'Provider responses warning that the configured API version is deprecated or near its end (Meta X-Ad-Api-Version-Warning).',
    labelNames: ['provider'] as const, registers,
  });
  const redisUp = new Gauge({
    name: 'capconnect_redis_up', help: '1 when the last Redis command succeeded, 0 when Redis could not take a write.',
    registers,
  });

  for (const provider of PROVIDER_LABELS) providerBlocked.set({ provider }, 0);
  for (const provider of PROVIDER_LABELS) providerVersionWarnings.inc({ provider }, 0);
  providerFieldWarnings.inc({ provider: 'google', reason: 'other' }, 0);
  // Known label sets start at 0, so rate() sees the first event of each (a series born at 1 has
  // no earlier sample to rise from) and dashboards show 0 rather than "no data".
  for (const outcome of ['queued', 'duplicate', 'invalid', 'skipped', 'unavailable']) ingestEvents.inc({ outcome }, 0);
  for (const provider of PROVIDER_LABELS) {
    for (const outcome of ['sent', 'retried', 'failed', 'expired']) dispatchEvents.inc({ provider, outcome }, 0);
  }
  redisUp.set(1);

  return {
    registry,
    httpRequests,
    httpRequestDuration,
    ingestEvents,
    identifiers,
    dispatchEvents,
    providerRequests,
    providerRequestDuration,
    providerErrors,
    providerBatchSize,
    deliveryLatency,
    queueJobs,
    providerFieldWarnings,
    oauthRefresh,
    providerBlocked,
    providerVersionWarnings,
    redisUp,
    /** Counts field warnings under a bounded reason label. */
    recordFieldWarnings(provider: string, reason: string, count: number): void {
      providerFieldWarnings.inc({ provider, reason: WARNING_REASON.test(reason) ? reason : 'other' }, count);
    },
    // Shared request quota and asynchronous diagnostics (diagnostics-metrics.ts).
    ...createDiagnosticsMetrics(registers),
    /** Counts a provider error under a bounded code label. */
    recordProviderError(provider: string, code: string): void {
      providerErrors.inc({ provider, code: errorCodes.has(code) ? code : 'other' });
    },
  };
}

/** `2xx`, `4xx`, `5xx`, or `network` when there was no HTTP response at all. */
export function statusClass(status: number | undefined): string {
  if (status === undefined || status < 100) return 'network';
  return `${Math.floor(status / 100)}xx`;
}
