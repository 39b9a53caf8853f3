import { DM_MAX_DESTINATIONS_PER_REQUEST, DM_MAX_EVENTS_PER_REQUEST } from './build.js';
import type { BuiltDataManagerEvent } from './types.js';

/**
 * Splits built events into requests that respect Google's per-request limits (2,000 events,
 * 10 destinations, i.e. 10 conversion actions) and a byte budget. Google publishes no byte limit for
 * `events:ingest`; Google API front ends refuse bodies over 10,485,760 bytes ("Request payload size
 * exceeds the limit"), so the default budget keeps 20 % below that (docs/platforms.md#dm-limits).
 */
export const DM_DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface SplitLimits {
  /** `GOOGLE_BATCH_MAX`, at most 2,000. */
  maxEvents?: number | undefined;
  /** `GOOGLE_DM_MAX_REQUEST_BYTES`. Default 8 MiB. */
  maxBytes?: number | undefined;
}

export interface RequestPlan {
  /** Indexes into the input, in order, one list per request. */
  requests: number[][];
  /** Events that alone exceed the byte budget: they can never be sent. */
  oversized: number[];
}

/** Envelope bytes: `{"destinations":[…],"events":[],"encoding":"HEX","validateOnly":true}` plus slack. */
const ENVELOPE_BYTES = 128;
/** One destination with reference, login and operating accounts and action id stays under this. */
const DESTINATION_BYTES = 256;
/** `"destinationReferences":["<action id>"],` plus the comma between events. */
const REFERENCE_BYTES = 64;

export function eventBytes(built: BuiltDataManagerEvent): number {
  return Buffer.byteLength(JSON.stringify(built.event)) + REFERENCE_BYTES;
}

/** Greedy, order-preserving: a request closes when the next event would break any limit. */
export function planIngestRequests(events: readonly BuiltDataManagerEvent[], limits: SplitLimits = {}): RequestPlan {
  const maxEvents = Math.min(Math.max(1, limits.maxEvents ?? DM_MAX_EVENTS_PER_REQUEST), DM_MAX_EVENTS_PER_REQUEST);
  const maxBytes = limits.maxBytes ?? DM_DEFAULT_MAX_REQUEST_BYTES;
  const requests: number[][] = [];
  const oversized: number[] = [];
  let current: number[] = [];
  let actions = new Set<string>();
  let bytes = ENVELOPE_BYTES;
  const close = () => {
    if (current.length > 0) requests.push(current);
    current = [];
    actions = new Set();
    bytes = ENVELOPE_BYTES;
  };
  for (const [index, built] of events.entries()) {
    const size = eventBytes(built);
    if (ENVELOPE_BYTES + DESTINATION_BYTES + size > maxBytes) {
      oversized.push(index);
      continue;
    }
    const newAction = !actions.has(built.conversionActionId);
    const added = size + (newAction ? DESTINATION_BYTES : 0);
    if (current.length >= maxEvents || bytes + added > maxBytes || (newAction && actions.size >= DM_MAX_DESTINATIONS_PER_REQUEST)) close();
    const addedNow = size + (actions.has(built.conversionActionId) ? 0 : DESTINATION_BYTES);
    current.push(index);
    actions.add(built.conversionActionId);
    bytes += addedNow;
  }
  close();
  return { requests, oversized };
}
