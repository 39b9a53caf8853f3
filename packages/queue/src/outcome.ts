/**
 * What a worker records about a delivery, and how the API reads it back. A completed job's
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
}

export interface DeliveryFailure {
  /** Reason code: `expired`, `meta_100`, `CLICK_NOT_FOUND`, `http_500`, … (bounded, documented). */
  code: string;
  httpStatus?: number;
  reference?: string;
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
