import type { Provider } from '@capconnect/core';
import type { RequestDiagnostics } from './request-records.js';

/**
 * The outcome types of a delivery: what a worker records about it, how the API reads it back, and
 * the states a status answer reports. A completed job's
 * `returnvalue` is a `DeliveryOutcome`; a failed job's `failedReason` is a formatted
 * `DeliveryFailure`. Both hold codes, statuses and provider references only, never provider
 * error text (which can quote submitted values) and never personal data.
 */

export interface DeliveryOutcome {
  status: 'sent';
  /** HTTP status of the provider response that acknowledged the event. */
  httpStatus: number;
  /** Meta `fbtrace_id` or Google `request-id`, for support tickets. */
  reference?: string;
  /** Attempts made, this one included. */
  attempts: number;
  /** Events in the provider request that carried this one. */
  batchSize: number;
  /** Unix ms of the acknowledgement. */
  sentAt: number;
  /** Google `validateOnly`: checked by the provider, not recorded. */
  validateOnly?: boolean;
  /** Data Manager `fieldWarnings` reasons for this event: optional values Google ignored (bounded enum names). */
  warnings?: string[];
}

export interface DeliveryFailure {
  /** Reason code: `expired`, `meta_100`, `CLICK_NOT_FOUND`, `http_500`, … (bounded, documented). */
  code: string;
  httpStatus?: number;
  reference?: string;
}

/**
 * - `queued`: waiting for a worker (or delayed before its first attempt).
 * - `sending`: a worker holds it now.
 * - `sent`: the provider acknowledged it.
 * - `retrying`: an attempt failed transiently; the next one is scheduled (`nextAttemptAt`).
 * - `failed`: given up, with a reason code (the job stays in the dead-letter queue).
 * - `expired`: past the provider's window, never sent (reason `expired`).
 */
export type DeliveryState = 'queued' | 'sending' | 'sent' | 'retrying' | 'failed' | 'expired';

export const FINAL_STATES: ReadonlySet<DeliveryState> = new Set(['sent', 'failed', 'expired']);

export interface DeliveryStatus {
  provider: Provider;
  jobId: string;
  state: DeliveryState;
  /** Delivery attempts made so far (failed ones, plus the successful one for `sent`). */
  attempts: number;
  /** Unix ms of the next attempt, for `retrying`. */
  nextAttemptAt?: number;
  /** Failure reason code (`failed`, `expired`, and the last error of `retrying` when recorded). */
  reason?: string;
  /** Provider HTTP status of the acknowledgement or of the final failure, when known. */
  httpStatus?: number;
  /** Meta `fbtrace_id` / Google request id. */
  reference?: string;
  /** Unix ms of the acknowledgement or final failure. */
  finishedAt?: number;
  /** `sent` with Data Manager field warnings: the reasons (optional values Google ignored). */
  warnings?: string[];
  /** Google Data Manager: what Google later reported about the request that carried the event. */
  diagnostics?: RequestDiagnostics;
}

const SEPARATOR = '|';

/** `failedReason` text for a failure: `code|httpStatus|reference`. */
export function formatFailure(failure: DeliveryFailure): string {
  const clean = (value: string) => value.replaceAll(SEPARATOR, '_');
  return [clean(failure.code), failure.httpStatus ?? '', clean(failure.reference ?? '')].join(SEPARATOR);
}

/** Reads a `failedReason` back; anything not in our format (a BullMQ-internal reason) becomes `other`. */
export function parseFailure(text: string | undefined): DeliveryFailure {
  if (!text) return { code: 'other' };
  const [code, status, reference] = text.split(SEPARATOR);
  if (code === undefined || status === undefined || !/^[\w.-]{1,64}$/.test(code)) {
    // BullMQ's own reasons ("job stalled more than allowable limit") are fixed texts; keep them coded.
    return { code: /stalled/i.test(text) ? 'stalled' : 'other' };
  }
  const httpStatus = Number(status);
  return {
    code,
    ...(status !== '' && Number.isInteger(httpStatus) && { httpStatus }),
    ...(reference && { reference }),
  };
}
