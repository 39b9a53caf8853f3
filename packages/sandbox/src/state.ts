import type { GoogleClickConversion, GoogleConversionAdjustment, MetaServerEvent } from './types.js';

/** Counters for one destination (pixel or customer) or for a whole provider. */
export interface DestinationStats {
  /** HTTP requests that reached this destination (or, for a provider, every request including faulted ones). */
  requests: number;
  eventsReceived: number;
  accepted: number;
  deduplicated: number;
  rejected: number;
  /** Largest `data[]` / `conversions[]` / `conversionAdjustments[]` seen in one request. */
  largestBatch: number;
}

export interface ProviderStats extends DestinationStats {
  /** Requests answered by an injected fault instead of the normal handler. */
  faulted: number;
  /** Requests refused before reaching a destination (auth, routing, malformed body). */
  refused: number;
  /** Accepted events/rows counted but not kept because `maxRecordedEvents` was reached. */
  unrecorded: number;
  byDestination: Record<string, DestinationStats>;
}

/** A Meta event the sandbox accepted, exactly as it arrived (digests and raw match fields). */
export interface MetaAcceptedEvent {
  pixelId: string;
  receivedAtMs: number;
  testEventCode?: string;
  event: MetaServerEvent;
}

export type GoogleAcceptedRow =
  | { kind: 'click'; customerId: string; receivedAtMs: number; row: GoogleClickConversion }
  | { kind: 'adjustment'; customerId: string; receivedAtMs: number; row: GoogleConversionAdjustment };

export interface OAuthStats {
  /** Successful refresh-token grants. */
  refreshes: number;
  /** Refused token requests (invalid_grant, invalid_client, invalid_request, …). */
  failures: number;
  /** Requests answered by an injected fault. */
  faulted: number;
  byClient: Record<string, number>;
}

/** How long Meta remembers an `event_id`+`event_name` for dedup (deduplicate-pixel-and-server-events page). */
export const META_DEDUP_WINDOW_MS = 48 * 3600 * 1000;

function emptyStats(): DestinationStats {
  return { requests: 0, eventsReceived: 0, accepted: 0, deduplicated: 0, rejected: 0, largestBatch: 0 };
}

function emptyProvider(): ProviderStats {
  return { ...emptyStats(), faulted: 0, refused: 0, unrecorded: 0, byDestination: {} };
}

/** Everything the sandbox records; `reset()` empties it. */
export class SandboxState {
  meta = emptyProvider();
  google = emptyProvider();
  oauth: OAuthStats = { refreshes: 0, failures: 0, faulted: 0, byClient: {} };
  metaEvents: MetaAcceptedEvent[] = [];
  googleRows: GoogleAcceptedRow[] = [];
  /** pixelId → (event_name \u0001 event_id) → first-seen time (ms). */
  readonly metaDedup = new Map<string, Map<string, number>>();
  /** Recorded click conversions: `customer/action/orderId` → conversionDateTime. */
  readonly googleOrderIds = new Map<string, string>();
  /** Recorded click conversions: `customer/action/clickId/conversionDateTime`. */
  readonly googleClicks = new Set<string>();
  /** Recorded enhancements: `customer/action/orderId`. */
  readonly googleEnhanced = new Set<string>();
  /** Added to Date.now(): lets tests move time forward (dedup windows, token expiry, event age). */
  clockOffsetMs = 0;

  nowMs(): number {
    return Date.now() + this.clockOffsetMs;
  }

  destination(provider: 'meta' | 'google', id: string): DestinationStats {
    const stats = this[provider].byDestination;
    let entry = stats[id];
    if (entry === undefined) {
      entry = emptyStats();
      stats[id] = entry;
    }
    return entry;
  }

  /** Adds a request's outcome to both the provider totals and the destination's counters. */
  count(provider: 'meta' | 'google', id: string, delta: Omit<DestinationStats, 'requests' | 'largestBatch'>, batch: number): void {
    for (const stats of [this[provider], this.destination(provider, id)]) {
      stats.eventsReceived += delta.eventsReceived;
      stats.accepted += delta.accepted;
      stats.deduplicated += delta.deduplicated;
      stats.rejected += delta.rejected;
      if (batch > stats.largestBatch) stats.largestBatch = batch;
    }
  }

  /** Meta dedup: true when the key was first seen less than 48 h ago; otherwise remembers it now. */
  metaSeen(pixelId: string, eventName: string, eventId: string, nowMs: number): boolean {
    let seen = this.metaDedup.get(pixelId);
    if (seen === undefined) {
      seen = new Map();
      this.metaDedup.set(pixelId, seen);
    }
    const key = `${eventName}\u0001${eventId}`;
    const first = seen.get(key);
    if (first !== undefined && nowMs - first < META_DEDUP_WINDOW_MS) return true;
    seen.set(key, nowMs);
    return false;
  }

  reset(): void {
    this.meta = emptyProvider();
    this.google = emptyProvider();
    this.oauth = { refreshes: 0, failures: 0, faulted: 0, byClient: {} };
    this.metaEvents = [];
    this.googleRows = [];
    this.metaDedup.clear();
    this.googleOrderIds.clear();
    this.googleClicks.clear();
    this.googleEnhanced.clear();
    this.clockOffsetMs = 0;
  }
}
