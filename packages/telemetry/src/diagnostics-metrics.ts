import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Metrics of the shared request quota and of Google's asynchronous diagnostics
 * (docs/architecture.md#request-quota, docs/architecture.md#request-diagnostics). Label values are
 * bounded: providers, `operation` write|read, `window` minute|day, and for diagnostics Google's
 * enum names from processing_errors.proto (any other name is counted as `other`).
 */

const ERROR_SUFFIXES = [
  'UNSPECIFIED', 'INVALID_CUSTOM_VARIABLE', 'CUSTOM_VARIABLE_NOT_ENABLED', 'EVENT_TOO_OLD', 'DENIED_CONSENT', 'NO_CONSENT',
  'UNKNOWN_CONSENT', 'DUPLICATE_GCLID', 'DUPLICATE_TRANSACTION_ID', 'INVALID_GBRAID', 'INVALID_GCLID', 'INVALID_MERCHANT_ID',
  'INVALID_WBRAID', 'INTERNAL_ERROR', 'DESTINATION_ACCOUNT_ENHANCED_CONVERSIONS_TERMS_NOT_SIGNED', 'INVALID_EVENT',
  'INSUFFICIENT_MATCHED_TRANSACTIONS', 'INSUFFICIENT_TRANSACTIONS', 'INVALID_FORMAT', 'DECRYPTION_ERROR', 'DEK_DECRYPTION_ERROR',
  'INVALID_WIP', 'INVALID_KEK', 'WIP_AUTH_FAILED', 'KEK_PERMISSION_DENIED', 'AWS_AUTH_FAILED', 'USER_IDENTIFIER_DECRYPTION_ERROR',
  'ONE_PER_CLICK_CONVERSION_ACTION_NOT_PERMITTED_WITH_BRAID', 'MATCH_ID_NOT_FOUND', 'USER_ID_NOT_FOUND_FOR_MATCH_ID',
  'USER_ID_NOT_FOUND_FOR_GCLID', 'USER_ID_NOT_FOUND_FOR_DCLID', 'INVALID_AD_IDENTIFIERS', 'INVALID_MOBILE_ID_FORMAT',
  'ORIGINAL_CONVERSIONS_NOT_FOUND', 'EVENT_ID_DECODE_ERROR', 'USER_ID_NOT_FOUND_FOR_IMPRESSION_ID', 'USER_ID_NOT_FOUND',
  'CONVERSION_PRECEDES_CLICK', 'TOO_RECENT_CLICK', 'INVALID_CLICK', 'INVALID_OPERATING_ACCOUNT_FOR_CLICK', 'CLICK_NOT_FOUND',
];
const WARNING_SUFFIXES = [
  'UNSPECIFIED', 'KEK_PERMISSION_DENIED', 'DEK_DECRYPTION_ERROR', 'DECRYPTION_ERROR', 'WIP_AUTH_FAILED', 'INVALID_WIP', 'INVALID_KEK',
  'USER_IDENTIFIER_DECRYPTION_ERROR', 'INTERNAL_ERROR', 'AWS_AUTH_FAILED',
];

/** Reason label values of `capconnect_provider_diagnostics_total`. */
export const DIAGNOSTICS_REASONS: ReadonlySet<string> = new Set([
  ...ERROR_SUFFIXES.map((suffix) => `PROCESSING_ERROR_REASON_${suffix}`),
  'PROCESSING_ERROR_OPERATING_ACCOUNT_MISMATCH_FOR_AD_IDENTIFIER',
  ...WARNING_SUFFIXES.map((suffix) => `PROCESSING_WARNING_REASON_${suffix}`),
  // Ours: records that were processed, and why no verdict will come.
  'none', 'INVALID_REQUEST_ID', 'TIMED_OUT',
]);

/**
 * `status` values: `processed` (records Google took, reason `none`), `failed` (records Google
 * refused while processing, by ProcessingErrorReason), `warning` (records with a
 * ProcessingWarningReason; also counted as processed or failed), `unresolved` (records of a
 * request without a verdict: INVALID_REQUEST_ID or TIMED_OUT after 24 h).
 */
export type DiagnosticsStatus = 'processed' | 'failed' | 'warning' | 'unresolved';

export function createDiagnosticsMetrics(registers: Registry[]) {
  const quotaUsedRatio = new Gauge({
    name: 'capconnect_provider_quota_used_ratio',
    help: 'Share of the shared provider request quota used: last 60 s (window=minute) and current Pacific day (window=day), against the configured limit.',
    labelNames: ['provider', 'operation', 'window'] as const, registers,
  });
  const quotaWait = new Histogram({
    name: 'capconnect_provider_quota_wait_seconds', help: 'How long a provider request waited for a quota permit (only requests that waited).',
    labelNames: ['provider', 'operation'] as const, registers,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  });
  const diagnostics = new Counter({
    name: 'capconnect_provider_diagnostics_total',
    help: "Records by the provider's asynchronous verdict: processed, failed (by reason), warning (by reason), unresolved.",
    labelNames: ['provider', 'status', 'reason'] as const, registers,
  });
  for (const operation of ['write', 'read']) {
    for (const window of ['minute', 'day']) quotaUsedRatio.set({ provider: 'google', operation, window }, 0);
    quotaWait.zero({ provider: 'google', operation });
  }
  for (const [status, reason] of [['processed', 'none'], ['failed', 'other'], ['warning', 'other'], ['unresolved', 'TIMED_OUT']] as const) {
    diagnostics.inc({ provider: 'google', status, reason }, 0);
  }
  return {
    quotaUsedRatio,
    quotaWait,
    diagnostics,
    /** Counts `count` records under a bounded reason label. */
    recordDiagnostics(provider: string, status: DiagnosticsStatus, reason: string, count: number): void {
      if (count > 0) diagnostics.inc({ provider, status, reason: DIAGNOSTICS_REASONS.has(reason) ? reason : 'other' }, count);
    },
  };
}
