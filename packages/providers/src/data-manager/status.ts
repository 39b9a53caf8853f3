/**
 * `GET /v1/requestStatus:retrieve?requestId=…`: per-destination outcome of an accepted ingestion
 * request, hours after it (docs/platforms.md#dm-diagnostics). Only counts per reason exist; Google
 * publishes no per-event (row-level) result. int64 counts arrive as JSON strings.
 */

export type DmRequestStatus = 'REQUEST_STATUS_UNKNOWN' | 'SUCCESS' | 'PROCESSING' | 'FAILED' | 'PARTIAL_SUCCESS';

export interface DmDestinationStatus {
  /** `productDestinationId` of the destination (our conversion action id), when present. */
  conversionActionId: string | undefined;
  requestStatus: DmRequestStatus;
  /** Failed records per `PROCESSING_ERROR_REASON_…`. */
  errorCounts: Record<string, number>;
  /** Records with a warning per `PROCESSING_WARNING_REASON_…`. */
  warningCounts: Record<string, number>;
  /** Events the request carried for this destination (`eventsIngestionStatus.recordCount`). */
  recordCount: number | undefined;
}

export interface DmRequestStatusResult {
  destinations: DmDestinationStatus[];
  /** Every destination reached SUCCESS, PARTIAL_SUCCESS or FAILED: stop polling. */
  final: boolean;
}

const STATUSES = new Set<DmRequestStatus>(['REQUEST_STATUS_UNKNOWN', 'SUCCESS', 'PROCESSING', 'FAILED', 'PARTIAL_SUCCESS']);
/** Numeric enum values (what Google's own Node client asks for), by proto number. */
const STATUS_BY_NUMBER: readonly DmRequestStatus[] = ['REQUEST_STATUS_UNKNOWN', 'SUCCESS', 'PROCESSING', 'FAILED', 'PARTIAL_SUCCESS'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** int64 as proto3 JSON writes it (a decimal string), or a number. */
export function int64(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

function counts(info: unknown, listKey: 'errorCounts' | 'warningCounts'): Record<string, number> {
  const out: Record<string, number> = {};
  const list = isObject(info) ? info[listKey] : undefined;
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const reason = typeof entry['reason'] === 'string' ? entry['reason'] : 'UNSPECIFIED';
    out[reason] = (out[reason] ?? 0) + (int64(entry['recordCount']) ?? 0);
  }
  return out;
}

function status(value: unknown): DmRequestStatus {
  if (typeof value === 'string' && STATUSES.has(value as DmRequestStatus)) return value as DmRequestStatus;
  if (typeof value === 'number') return STATUS_BY_NUMBER[value] ?? 'REQUEST_STATUS_UNKNOWN';
  return 'REQUEST_STATUS_UNKNOWN';
}

export function parseRequestStatus(json: unknown): DmRequestStatusResult {
  const list = isObject(json) && Array.isArray(json['requestStatusPerDestination']) ? json['requestStatusPerDestination'] : [];
  const destinations = list.filter(isObject).map((entry): DmDestinationStatus => {
    const destination = isObject(entry['destination']) ? entry['destination'] : {};
    const events = isObject(entry['eventsIngestionStatus']) ? entry['eventsIngestionStatus'] : undefined;
    return {
      conversionActionId: typeof destination['productDestinationId'] === 'string' ? destination['productDestinationId'] : undefined,
      requestStatus: status(entry['requestStatus']),
      errorCounts: counts(entry['errorInfo'], 'errorCounts'),
      warningCounts: counts(entry['warningInfo'], 'warningCounts'),
      recordCount: events === undefined ? undefined : int64(events['recordCount']) ?? 0,
    };
  });
  const final = destinations.length > 0 && destinations.every((d) => d.requestStatus === 'SUCCESS' || d.requestStatus === 'FAILED' || d.requestStatus === 'PARTIAL_SUCCESS');
  return { destinations, final };
}
