import { FaultSpecError, type ActiveFault, type FaultInjector, type FaultSpec } from './faults.js';
import { isPlainObject, tryParseJson, type Reply } from './http.js';
import type { DataManagerAcceptedEvent, DataManagerRequestRecord, DataManagerState, DataManagerStats } from './data-manager-state.js';
import type { TokenStore } from './oauth.js';
import type { GoogleAcceptedRow, MetaAcceptedEvent, OAuthStats, ProviderStats, SandboxState } from './state.js';

/** Everything the sandbox knows, as `GET /__control/state` returns it. */
export interface SandboxSnapshot {
  meta: ProviderStats & { events: MetaAcceptedEvent[] };
  google: ProviderStats & { rows: GoogleAcceptedRow[] };
  oauth: OAuthStats;
  dataManager: DataManagerStats & { events: DataManagerAcceptedEvent[]; acceptedRequests: DataManagerRequestRecord[] };
  faults: ActiveFault[];
  clockOffsetMs: number;
}

/** The handle tests use to inspect the sandbox and to inject faults. */
export interface SandboxControl {
  /** Counters, accepted events/rows (unless `events: false`) and active faults. A copy. */
  snapshot(options?: { events?: boolean }): SandboxSnapshot;
  /** Accepted Meta events, optionally for one pixel, in arrival order. */
  metaEvents(pixelId?: string): MetaAcceptedEvent[];
  /** Accepted Google rows, optionally for one customer and/or kind, in arrival order. */
  googleRows(filter?: { customerId?: string; kind?: 'click' | 'adjustment' }): GoogleAcceptedRow[];
  stats(provider: 'meta' | 'google'): ProviderStats;
  /** Events the Data Manager fake recorded (as received: digests and plain fields), optionally for one action. */
  dataManagerEvents(filter?: { conversionActionId?: string }): DataManagerAcceptedEvent[];
  /** Accepted (non-validateOnly) Data Manager requests, for diagnostics. */
  dataManagerRequests(): DataManagerRequestRecord[];
  dataManagerStats(): DataManagerStats;
  oauthStats(): OAuthStats;
  /** Forgets recorded data, counters, dedup memory, faults, refresh-token revocations and the clock offset. */
  reset(): void;
  addFault(spec: FaultSpec): ActiveFault;
  removeFault(id: number): boolean;
  clearFaults(): void;
  faults(): ActiveFault[];
  /** Makes every access token issued so far expired; returns how many. */
  expireAccessTokens(): number;
  /** Revokes every access token issued so far; returns how many. */
  revokeAccessTokens(): number;
  /** Later grants with this refresh token get `invalid_grant`. */
  revokeRefreshToken(refreshToken: string): void;
  /** Moves the sandbox clock forward (event age, 48 h dedup window, token expiry). */
  advanceClock(ms: number): void;
  /** The sandbox clock, in unix ms. */
  nowMs(): number;
}

export function createControl(state: SandboxState, faults: FaultInjector, tokens: TokenStore, dm: DataManagerState): SandboxControl {
  const copyStats = (stats: ProviderStats): ProviderStats => structuredClone(stats);
  return {
    snapshot(options = {}) {
      const events = options.events ?? true;
      return {
        meta: { ...copyStats(state.meta), events: events ? [...state.metaEvents] : [] },
        google: { ...copyStats(state.google), rows: events ? [...state.googleRows] : [] },
        oauth: structuredClone(state.oauth),
        dataManager: { ...structuredClone(dm.stats), events: events ? [...dm.events] : [], acceptedRequests: events ? [...dm.requests.values()] : [] },
        faults: faults.list(),
        clockOffsetMs: state.clockOffsetMs,
      };
    },
    metaEvents: (pixelId) => state.metaEvents.filter((event) => pixelId === undefined || event.pixelId === pixelId),
    googleRows: (filter = {}) => state.googleRows.filter((row) =>
      (filter.customerId === undefined || row.customerId === filter.customerId) && (filter.kind === undefined || row.kind === filter.kind)),
    stats: (provider) => copyStats(state[provider]),
    dataManagerEvents: (filter = {}) => dm.events.filter((event) => filter.conversionActionId === undefined || event.conversionActionId === filter.conversionActionId),
    dataManagerRequests: () => [...dm.requests.values()],
    dataManagerStats: () => structuredClone(dm.stats),
    oauthStats: () => structuredClone(state.oauth),
    reset() {
      state.reset();
      dm.reset();
      faults.clear();
      tokens.resetRevocations();
    },
    addFault: (spec) => faults.add(spec),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => { faults.clear(); },
    faults: () => faults.list(),
    expireAccessTokens: () => tokens.expireAll(state.nowMs()),
    revokeAccessTokens: () => tokens.revokeAll(),
    revokeRefreshToken: (refreshToken) => { tokens.revokeRefreshToken(refreshToken); },
    advanceClock(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advanceClock needs a finite, non-negative number of ms');
      state.clockOffsetMs += ms;
    },
    nowMs: () => state.nowMs(),
  };
}

const bad = (message: string): Reply => ({ status: 400, body: { error: 'bad_request', message } });

/**
 * The `/__control/*` JSON API, so a process that did not start the sandbox (the standalone server, the
 * local stack, a benchmark) can drive it. Never subject to faults.
 */
export function handleControl(control: SandboxControl, method: string, path: string, query: URLSearchParams, bodyText: string): Reply {
  const body = bodyText === '' ? {} : tryParseJson(bodyText);
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /__control/state':
        return { status: 200, body: control.snapshot({ events: query.get('events') !== 'false' }) };
      case 'POST /__control/reset':
        control.reset();
        return { status: 200, body: { ok: true } };
      case 'GET /__control/faults':
        return { status: 200, body: { faults: control.faults() } };
      case 'POST /__control/faults': {
        const specs: unknown[] = Array.isArray(body) ? body : [body];
        const added = specs.map((spec) => control.addFault(spec as FaultSpec));
        return { status: 201, body: { faults: added } };
      }
      case 'DELETE /__control/faults':
        control.clearFaults();
        return { status: 200, body: { ok: true } };
      case 'POST /__control/tokens/expire':
        return { status: 200, body: { expired: control.expireAccessTokens() } };
      case 'POST /__control/tokens/revoke':
        return { status: 200, body: { revoked: control.revokeAccessTokens() } };
      case 'POST /__control/refresh-tokens/revoke': {
        const token = isPlainObject(body) ? body['refreshToken'] : undefined;
        if (typeof token !== 'string' || token === '') return bad('refreshToken (string) is required');
        control.revokeRefreshToken(token);
        return { status: 200, body: { ok: true } };
      }
      case 'POST /__control/clock/advance': {
        const ms = isPlainObject(body) ? body['ms'] : undefined;
        if (typeof ms !== 'number') return bad('ms (number) is required');
        control.advanceClock(ms);
        return { status: 200, body: { nowMs: control.nowMs() } };
      }
      default: {
        const single = /^\/__control\/faults\/(\d+)$/.exec(path);
        if (method === 'DELETE' && single !== null) {
          return control.removeFault(Number(single[1])) ? { status: 200, body: { ok: true } } : { status: 404, body: { error: 'not_found', message: 'no such fault' } };
        }
        return { status: 404, body: { error: 'not_found', message: `no control route ${route}` } };
      }
    }
  } catch (error) {
    if (error instanceof FaultSpecError || error instanceof RangeError) return bad(error.message);
    throw error;
  }
}
