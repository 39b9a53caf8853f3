/**
 * What the Data Manager fake remembers: accepted events (as received: digests and plain fields),
 * transaction ids per conversion action (restatements), accepted requests for
 * `requestStatus:retrieve`, and the per-minute request windows of each "Cloud project".
 */

export interface DataManagerAcceptedEvent {
  requestId: string;
  operatingAccountId: string;
  conversionActionId: string;
  receivedAtMs: number;
  /** True when a previous event had the same transaction id for the same action: a restatement. */
  restatement: boolean;
  event: Record<string, unknown>;
}

export interface DataManagerDestinationOutcome {
  operatingAccountId: string;
  loginAccountId: string | undefined;
  conversionActionId: string;
  reference: string | undefined;
  recordCount: number;
  errorCounts: Record<string, number>;
}

export interface DataManagerRequestRecord {
  requestId: string;
  receivedAtMs: number;
  destinations: DataManagerDestinationOutcome[];
}

export interface DataManagerStats {
  /** HTTP requests to either method, faulted ones included. */
  requests: number;
  faulted: number;
  /** Refused before the body was looked at (auth, scope, quota). */
  refused: number;
  /** Requests refused for their content (400). */
  invalid: number;
  eventsReceived: number;
  /** New conversions recorded. */
  accepted: number;
  /** Events that restated an earlier transaction id of the same action. */
  restatements: number;
  /** Events accepted with validateOnly (not recorded). */
  validated: number;
  largestBatch: number;
  unrecorded: number;
}

export const emptyDataManagerStats = (): DataManagerStats => ({
  requests: 0, faulted: 0, refused: 0, invalid: 0, eventsReceived: 0, accepted: 0, restatements: 0, validated: 0, largestBatch: 0, unrecorded: 0,
});

export class DataManagerState {
  stats = emptyDataManagerStats();
  events: DataManagerAcceptedEvent[] = [];
  /** `operating/action/transactionId` → how many times seen. */
  readonly transactions = new Map<string, number>();
  /** `operating/action/gclid/timestamp` of events without transaction id (DUPLICATE_GCLID). */
  readonly clicks = new Set<string>();
  readonly requests = new Map<string, DataManagerRequestRecord>();
  /** project → request times (ms) within the last minute, per method. */
  readonly windows = new Map<string, number[]>();

  /** Counts one request for `project` at `nowMs`; false when the per-minute quota is spent. */
  admit(project: string, nowMs: number, perMinute: number): boolean {
    const recent = (this.windows.get(project) ?? []).filter((at) => nowMs - at < 60_000);
    if (recent.length >= perMinute) {
      this.windows.set(project, recent);
      return false;
    }
    recent.push(nowMs);
    this.windows.set(project, recent);
    return true;
  }

  reset(): void {
    this.stats = emptyDataManagerStats();
    this.events = [];
    this.transactions.clear();
    this.clicks.clear();
    this.requests.clear();
    this.windows.clear();
  }
}
