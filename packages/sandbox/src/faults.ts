/** Which fake a fault applies to. */
export type SandboxProvider = 'meta' | 'google' | 'oauth' | 'datamanager';

/**
 * What a fault does to a request.
 * - `http-500`, `http-503`: a server error in the provider's own error shape.
 * - `http-429`: 429 with a `Retry-After` header (`retryAfterS`), provider-shaped body.
 * - `meta-transient`: Graph error `code` (1, 2, 4, 17, 613; `metaCode`) with `is_transient: true`.
 * - `resource-exhausted`: Google 429 RESOURCE_EXHAUSTED, quotaError RESOURCE_TEMPORARILY_EXHAUSTED with
 *   `quotaErrorDetails.retryDelay` (`retryAfterS`).
 * - `too-recent-conversion-action`, `too-recent-event`: every row of a Google request fails with that row error.
 * - `delay`: the response is sent normally after `delayMs`.
 * - `drop`: the socket is destroyed without a response.
 * - `hang`: no response ever (the client's timeout fires).
 * - `token-expired`, `token-revoked`: the provider's auth error (Meta 190, Google 401, OAuth invalid_grant).
 * - `account-terms`: Google 403 PERMISSION_DENIED with CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS.
 * - `account-terms-rows`: the same code as a row error on every row (where the enum actually lives).
 * - `permission-denied`: Meta code 200 (permissions error), Google 403 USER_PERMISSION_DENIED, Data Manager 403 PERMISSION_DENIED.
 * - `refuse-event` (Data Manager): 400 INVALID_ARGUMENT blaming `events[eventIndex]` (default 0) of the request.
 * - `payload-too-large` (Data Manager): 413 from the front end, whatever the size.
 * - Data Manager `account-terms`: 400 TERMS_AND_CONDITIONS_NOT_SIGNED; `token-expired`/`token-revoked`: 401 UNAUTHENTICATED.
 * - `not-allowlisted` (Google Ads): 403 with `notAllowlistedError: CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE`, what
 *   the Google Ads API answers new adopters of conversion imports since 2026-06-15.
 * - `field-warning` (Data Manager): the request succeeds with a `fieldWarnings` entry
 *   (`WARNING_REASON_INVALID_NUMBER_FORMAT`) on `events[eventIndex]` (default 0).
 */
export type FaultKind =
  | 'http-500' | 'http-503' | 'http-429' | 'meta-transient' | 'resource-exhausted'
  | 'too-recent-conversion-action' | 'too-recent-event' | 'delay' | 'drop' | 'hang'
  | 'token-expired' | 'token-revoked' | 'account-terms' | 'account-terms-rows' | 'permission-denied'
  | 'refuse-event' | 'payload-too-large' | 'not-allowlisted' | 'field-warning';

export const FAULT_KINDS: readonly FaultKind[] = [
  'http-500', 'http-503', 'http-429', 'meta-transient', 'resource-exhausted',
  'too-recent-conversion-action', 'too-recent-event', 'delay', 'drop', 'hang',
  'token-expired', 'token-revoked', 'account-terms', 'account-terms-rows', 'permission-denied',
  'refuse-event', 'payload-too-large', 'not-allowlisted', 'field-warning',
];

const PROVIDER_KINDS: Record<SandboxProvider, ReadonlySet<FaultKind>> = {
  meta: new Set<FaultKind>(['http-500', 'http-503', 'http-429', 'meta-transient', 'delay', 'drop', 'hang',
    'token-expired', 'token-revoked', 'permission-denied']),
  google: new Set<FaultKind>(['http-500', 'http-503', 'http-429', 'resource-exhausted',
    'too-recent-conversion-action', 'too-recent-event', 'delay', 'drop', 'hang', 'token-expired',
    'token-revoked', 'account-terms', 'account-terms-rows', 'permission-denied', 'not-allowlisted']),
  oauth: new Set<FaultKind>(['http-500', 'http-503', 'http-429', 'delay', 'drop', 'hang', 'token-expired',
    'token-revoked']),
  datamanager: new Set<FaultKind>(['http-500', 'http-503', 'http-429', 'resource-exhausted', 'delay', 'drop', 'hang',
    'token-expired', 'token-revoked', 'account-terms', 'permission-denied', 'refuse-event', 'payload-too-large', 'field-warning']),
};

export const META_TRANSIENT_CODES = [1, 2, 4, 17, 613] as const;
export type MetaTransientCode = (typeof META_TRANSIENT_CODES)[number];

export interface FaultSpec {
  provider: SandboxProvider;
  kind: FaultKind;
  /**
   * Fire on this many matching requests, then retire.
   * @defaultValue 1, or unlimited when `ratio` is set
   */
  count?: number;
  /**
   * Probability (0..1] that a request is hit, drawn from the seeded PRNG.
   * @defaultValue 1
   */
  ratio?: number;
  /**
   * `delay`: how long to wait before answering, in ms.
   * @defaultValue 1000
   */
  delayMs?: number;
  /**
   * `http-429` Retry-After and `resource-exhausted` retryDelay, in seconds.
   * @defaultValue 30
   */
  retryAfterS?: number;
  /**
   * `refuse-event`: the index (in the request's `events`, 0-based) Google blames.
   * @defaultValue 0
   */
  eventIndex?: number;
  /**
   * `meta-transient`: the Graph error code.
   * @defaultValue 2
   */
  metaCode?: MetaTransientCode;
}

/** A fault as it is being applied, and as the state endpoint reports it. */
export interface ActiveFault extends FaultSpec {
  id: number;
  /** How many requests it has hit so far. */
  fired: number;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** Checks a spec from a test, the control API or the command line; throws FaultSpecError with the reason. */
export function validateFaultSpec(spec: unknown): FaultSpec {
  if (typeof spec !== 'object' || spec === null) throw new FaultSpecError('a fault must be an object');
  const s = spec as Record<string, unknown>;
  const provider = s['provider'];
  if (provider !== 'meta' && provider !== 'google' && provider !== 'oauth' && provider !== 'datamanager') {
    throw new FaultSpecError('provider must be meta, google, oauth or datamanager');
  }
  const kind = s['kind'];
  if (typeof kind !== 'string' || !PROVIDER_KINDS[provider].has(kind as FaultKind)) {
    throw new FaultSpecError(`kind must be one of ${[...PROVIDER_KINDS[provider]].join(', ')} for ${provider}`);
  }
  const out: FaultSpec = { provider, kind: kind as FaultKind };
  const count = s['count'];
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw new FaultSpecError('count must be an integer ≥ 1');
    out.count = count;
  }
  const ratio = s['ratio'];
  if (ratio !== undefined) {
    if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) throw new FaultSpecError('ratio must be in (0, 1]');
    out.ratio = ratio;
  }
  for (const key of ['delayMs', 'retryAfterS'] as const) {
    const value = s[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new FaultSpecError(`${key} must be a number ≥ 0`);
    out[key] = value;
  }
  const eventIndex = s['eventIndex'];
  if (eventIndex !== undefined) {
    if (typeof eventIndex !== 'number' || !Number.isInteger(eventIndex) || eventIndex < 0) throw new FaultSpecError('eventIndex must be an integer ≥ 0');
    out.eventIndex = eventIndex;
  }
  const metaCode = s['metaCode'];
  if (metaCode !== undefined) {
    if (!(META_TRANSIENT_CODES as readonly unknown[]).includes(metaCode)) {
      throw new FaultSpecError(`metaCode must be one of ${META_TRANSIENT_CODES.join(', ')}`);
    }
    out.metaCode = metaCode as MetaTransientCode;
  }
  return out;
}

/** mulberry32: tiny, fast, good enough to spread ratio faults repeatably. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the active faults and decides, per request, which one (if any) applies. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(private readonly seed: number) {
    this.random = createPrng(seed);
  }

  add(spec: FaultSpec): ActiveFault {
    const fault: ActiveFault = { ...validateFaultSpec(spec), id: this.nextId++, fired: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length !== before;
  }

  /** Removes every fault and restarts the PRNG from the seed. */
  clear(): void {
    this.faults = [];
    this.random = createPrng(this.seed);
  }

  list(): ActiveFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** The first fault that fires for this request; consumes one of its `count`. */
  pick(provider: SandboxProvider): ActiveFault | undefined {
    for (const fault of this.faults) {
      if (fault.provider !== provider) continue;
      const ratio = fault.ratio ?? 1;
      if (ratio < 1 && this.random() >= ratio) continue;
      fault.fired += 1;
      const limit = fault.count ?? (fault.ratio === undefined ? 1 : Infinity);
      if (fault.fired >= limit) this.faults = this.faults.filter((other) => other !== fault);
      return fault;
    }
    return undefined;
  }
}
