import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxControl } from '@capconnect/sandbox';
import {
  CANARIES, CANARY_PHONES, CANARY_SEARCH, captureIo, dumpRedis, findCanaries, startPrivateRedis, startRedisCluster,
  type PrivateRedis, type PrivateRedisCluster, type PrivateRedisOptions, type RedisClusterOptions,
} from '@capconnect/testkit';
import { expect } from 'vitest';
import { runCli, startStack, type Stack, type StackProcess } from '@capconnect/cli';

/**
 * Shared pieces of the reliability suite: a whole stack (built api and worker processes, the
 * in-process sandbox) on a private Redis, a client that remembers what the api acknowledged, the
 * end-of-scenario comparison with what the providers accepted, and the PII canary scan.
 *
 * Terms: *posted* = every event id sent to the api; *acknowledged* = answered 202 with status
 * `queued` or `duplicate`; *accepted* = recorded by the sandbox (its dedup keeps re-sends out).
 */

/** One ingest body full of canaries, valid for Meta (website) and Google (click mode, order id). */
export function canaryEvent(eventId: string, index: number, nowMs = Date.now()): Record<string, unknown> {
  return {
    customer: {
      email: index % 2 === 0 ? CANARIES.email : ` ${CANARIES.email.toUpperCase()} `,
      phone: CANARY_PHONES[index % CANARY_PHONES.length],
      firstName: CANARIES.firstName, lastName: CANARIES.lastName, city: CANARIES.city, state: CANARIES.state,
      zip: CANARIES.zip, country: 'JP', streetAddress: CANARIES.street, dateOfBirth: CANARIES.dateOfBirth,
      externalId: CANARIES.externalId, gender: 'female',
    },
    event: {
      eventName: 'Purchase', eventId, orderId: eventId, eventTime: Math.floor(nowMs / 1000) - 60, value: 1000 + (index % 500), currency: 'JPY',
      actionSource: 'website', eventSourceUrl: CANARIES.url, clientIpAddress: CANARIES.ip, clientUserAgent: CANARIES.userAgent,
      fbc: CANARIES.fbc, fbp: CANARIES.fbp, gclid: `${CANARIES.gclid}${index}`, customData: { note: CANARIES.custom },
    },
    consent: { adUserData: 'granted' },
  };
}

export interface PostResult {
  status: number;
  durationMs: number;
  /** Parsed JSON, or undefined when the body was not JSON (or the request failed). */
  body: unknown;
  /** Set when the request itself failed (timeout, connection refused). */
  error?: string;
  /** The `Retry-After` header, when present. */
  retryAfter?: string;
  /** When the request was sent, unix ms. */
  sentAtMs: number;
}

interface BatchAnswer {
  results?: { index: number; eventId?: string; status: string }[];
}

/**
 * Talks to the api like an integrator would, and remembers every event id it posted, which ones
 * were acknowledged (202 queued/duplicate), and every response text for the canary scan.
 */
export class ApiClient {
  readonly posted = new Set<string>();
  readonly acknowledged = new Set<string>();
  readonly responses: string[] = [];
  readonly statusCounts = new Map<number | string, number>();
  /** Status (or error name) of the latest answer. */
  lastStatus: number | string | undefined;

  constructor(private readonly apiUrl: string, private readonly token: string) {}

  /** POSTs raw bytes or text with any content type (hostile input); never throws. */
  async postRaw(path: string, body: string | Buffer | undefined, contentType: string | undefined, timeoutMs = 10_000): Promise<PostResult> {
    const started = performance.now();
    const sentAtMs = Date.now();
    const headers: Record<string, string> = { 'x-capconnect-token': this.token };
    if (contentType !== undefined) headers['content-type'] = contentType;
    try {
      const response = await fetch(`${this.apiUrl}${path}`, {
        method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs), ...(body !== undefined && { body: typeof body === 'string' ? body : new Uint8Array(body) }),
      });
      const text = await response.text();
      this.responses.push(text, JSON.stringify([...response.headers]));
      this.count(response.status);
      let parsed: unknown;
      try { parsed = JSON.parse(text); } catch { parsed = undefined; }
      const retryAfter = response.headers.get('retry-after');
      return { status: response.status, durationMs: performance.now() - started, body: parsed, sentAtMs, ...(retryAfter !== null && { retryAfter }) };
    } catch (error) {
      const name = error instanceof Error ? `${error.name}${(error.cause as { code?: string } | undefined)?.code ? `:${(error.cause as { code: string }).code}` : ''}` : 'error';
      this.count(name);
      return { status: 0, durationMs: performance.now() - started, body: undefined, error: name, sentAtMs };
    }
  }

  /** POSTs a batch of ingest bodies; records posted and acknowledged event ids. */
  async postBatch(items: readonly Record<string, unknown>[], timeoutMs = 10_000): Promise<PostResult> {
    for (const item of items) this.posted.add(eventIdOf(item));
    const result = await this.postRaw('/v1/collect/batch', JSON.stringify(items), 'application/json', timeoutMs);
    if (result.status === 202) {
      for (const entry of (result.body as BatchAnswer).results ?? []) {
        if (entry.eventId !== undefined && (entry.status === 'queued' || entry.status === 'duplicate')) this.acknowledged.add(entry.eventId);
      }
    }
    return result;
  }

  async getStatus(eventId: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.apiUrl}/v1/events/${encodeURIComponent(eventId)}`, {
      headers: { 'x-capconnect-token': this.token }, signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    this.responses.push(text);
    return { status: response.status, body: JSON.parse(text) as unknown };
  }

  private count(key: number | string): void {
    this.lastStatus = key;
    this.statusCounts.set(key, (this.statusCounts.get(key) ?? 0) + 1);
  }
}

function eventIdOf(item: Record<string, unknown>): string {
  return String((item['event'] as { eventId?: unknown } | undefined)?.eventId);
}

export type GoogleApiUnderTest = 'data-manager' | 'ads-api';

/**
 * The Google APIs a scenario runs with: `RELIABILITY_GOOGLE_APIS` (comma-separated), else the
 * scenario's own default. The Data Manager path is the default for new configurations, so every
 * scenario runs on it; the Google Ads API path is kept where Google-specific faults are exercised.
 */
export function googleApisUnderTest(fallback: readonly GoogleApiUnderTest[] = ['data-manager']): GoogleApiUnderTest[] {
  const listed = (process.env['RELIABILITY_GOOGLE_APIS'] ?? '').split(',').map((api) => api.trim()).filter((api): api is GoogleApiUnderTest => api === 'data-manager' || api === 'ads-api');
  return listed.length > 0 ? listed : [...fallback];
}

/** What the Google fake of the API under test received, in one shape for both. */
export interface GoogleView {
  api: GoogleApiUnderTest;
  /** The sandbox fault provider name of that fake. */
  faultProvider: 'google' | 'datamanager';
  stats(): { requests: number; accepted: number; deduplicated: number; rejected: number; unrecorded: number; faulted: number; largestBatch: number };
  /** The order id of every accepted (not re-sent) conversion. */
  acceptedIds(): string[];
}

function googleView(sandbox: SandboxControl, api: GoogleApiUnderTest): GoogleView {
  if (api === 'ads-api') {
    return {
      api, faultProvider: 'google',
      stats: () => sandbox.stats('google'),
      acceptedIds: () => sandbox.googleRows().map((entry) => String(entry.row['orderId'])),
    };
  }
  return {
    api, faultProvider: 'datamanager',
    stats: () => {
      const dm = sandbox.dataManagerStats();
      // A re-sent event with the same transaction id is a restatement: Google's dedup on this path.
      return { requests: dm.requests, accepted: dm.accepted, deduplicated: dm.restatements, rejected: dm.invalid, unrecorded: dm.unrecorded, faulted: dm.faulted, largestBatch: dm.largestBatch };
    },
    acceptedIds: () => sandbox.dataManagerEvents().filter((entry) => !entry.restatement).map((entry) => String(entry.event['transactionId'])),
  };
}

/** What every scenario needs of its Redis: where it is, and how to remove it. */
export interface ScenarioRedis {
  readonly url: string;
  dispose(): Promise<void>;
}

export interface ReliabilityStack<R extends ScenarioRedis = PrivateRedis> {
  redis: R;
  stack: Stack;
  sandbox: SandboxControl;
  /** The Google fake of the API this stack delivers through. */
  google: GoogleView;
  client: ApiClient;
  /** Stops the stack and the private Redis, removes its data; safe to call twice. */
  dispose(): Promise<void>;
}

/** A private Redis plus the whole stack on it. Each scenario gets its own; the shared Redis is never touched. */
export async function startReliabilityStack(options: StackOptions & { redis?: PrivateRedisOptions }): Promise<ReliabilityStack> {
  return stackOn(await startPrivateRedis(options.redis ?? {}), options);
}

/** A private Redis Cluster plus the whole stack on it (the stack's `REDIS_URL` is `redis-cluster://…`). */
export async function startClusterReliabilityStack(options: StackOptions & { cluster?: RedisClusterOptions }): Promise<ReliabilityStack<PrivateRedisCluster>> {
  return stackOn(await startRedisCluster(options.cluster ?? {}), options);
}

interface StackOptions {
  workers: number;
  env?: Record<string, string>;
  /** @defaultValue `'data-manager'` */
  googleApi?: GoogleApiUnderTest;
}

async function stackOn<R extends ScenarioRedis>(redis: R, options: StackOptions): Promise<ReliabilityStack<R>> {
  const googleApi = options.googleApi ?? 'data-manager';
  let stack: Stack;
  try {
    stack = await startStack({ redisUrl: redis.url, workers: options.workers, googleApi, env: {
      SHUTDOWN_TIMEOUT_MS: '5000',
      // A killed worker's jobs are taken over within seconds instead of the production 30 s.
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2000',
      ...options.env,
    } });
  } catch (error) {
    await redis.dispose();
    throw error;
  }
  const sandbox = stack.sandbox?.control;
  if (!sandbox) throw new Error('the reliability suite needs the sandbox');
  let disposed = false;
  return {
    redis, stack, sandbox, google: googleView(sandbox, googleApi),
    client: new ApiClient(stack.apiUrl, stack.webhookSecret),
    async dispose() {
      if (disposed) return;
      disposed = true;
      // A hung process must not hang the suite: SIGKILL whatever is left after 15 s.
      const timer = setTimeout(() => { for (const proc of [stack.api, ...stack.workers]) proc.child.kill('SIGKILL'); }, 15_000);
      try { await stack.stop(); } finally { clearTimeout(timer); await redis.dispose(); }
    },
  };
}

/** Polls `check` until it holds; fails with `what` and the last observation after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Job counts per queue and state, read through `capconnect stats --json` (the operator's view). */
export async function queueCounts(redisUrl: string): Promise<Record<'meta' | 'google', Record<string, number>>> {
  const io = captureIo();
  const code = await runCli(['stats', '--json', '--redis-url', redisUrl], io, {});
  if (code !== 0) throw new Error(`capconnect stats exited ${code}: ${io.stderr()}`);
  return JSON.parse(io.stdout()) as Record<'meta' | 'google', Record<string, number>>;
}

/** Waits until both providers have accepted every acknowledged event and no job is left in flight. */
export async function waitForDelivery(r: ReliabilityStack<ScenarioRedis>, timeoutMs: number): Promise<number> {
  const expected = r.client.acknowledged.size;
  return waitUntil(`delivery of ${expected} acknowledged events to both providers`, async () => {
    if (r.sandbox.stats('meta').accepted < expected || r.google.stats().accepted < expected) return false;
    const counts = await queueCounts(r.redis.url);
    return (['meta', 'google'] as const).every((q) => counts[q]['waiting'] === 0 && counts[q]['active'] === 0 && counts[q]['delayed'] === 0);
  }, timeoutMs, 500);
}

/**
 * The end of every scenario: each acknowledged event accepted exactly once by each provider
 * (re-sends only as provider-counted dedups), nothing accepted that was never posted, no job failed.
 */
export async function expectExactlyOnce(r: ReliabilityStack<ScenarioRedis>): Promise<{ metaDeduplicated: number; googleDeduplicated: number }> {
  const { acknowledged, posted } = r.client;
  const metaIds = r.sandbox.metaEvents().map((entry) => String(entry.event['event_id']));
  const googleIds = r.google.acceptedIds();
  for (const [provider, ids] of [['meta', metaIds], ['google', googleIds]] as const) {
    const accepted = new Set(ids);
    expect(ids.length, `${provider}: an event was accepted twice`).toBe(accepted.size);
    const lost = [...acknowledged].filter((id) => !accepted.has(id));
    expect(lost.slice(0, 10), `${provider}: ${lost.length} acknowledged events never accepted`).toEqual([]);
    const unknown = [...accepted].filter((id) => !posted.has(id));
    expect(unknown.slice(0, 10), `${provider}: accepted events that were never posted`).toEqual([]);
    const stats = provider === 'meta' ? r.sandbox.stats('meta') : r.google.stats();
    expect(stats.rejected, `${provider}: rows rejected by the provider`).toBe(0);
    expect(stats.unrecorded).toBe(0);
  }
  const counts = await queueCounts(r.redis.url);
  expect(counts.meta['failed']).toBe(0);
  expect(counts.google['failed']).toBe(0);
  return { metaDeduplicated: r.sandbox.stats('meta').deduplicated, googleDeduplicated: r.google.stats().deduplicated };
}

/** A process's /metrics text ('' when it is not answering, e.g. killed). */
export async function metricsText(target: StackProcess): Promise<string> {
  try {
    const response = await fetch(target.metricsUrl, { signal: AbortSignal.timeout(3000) });
    return await response.text();
  } catch {
    return '';
  }
}

/** Sum of a metric's samples whose labels include every given `name="value"` pair. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/**
 * The PII canary: every Redis key and value (dead-letter queue included), everything the children
 * printed, the /metrics of the api and every live worker, and every response the client got.
 * Secrets are searched for everywhere except Redis too.
 */
export async function expectNoCanaries(r: ReliabilityStack<ScenarioRedis>, extraText: readonly string[] = []): Promise<{ redisKeys: number; logBytes: number }> {
  const dump = await dumpRedis(r.redis.url, '*');
  const redisText = [...dump].flat().join('\n');
  // Name the keys that hold a canary, with the surrounding text, so a failure says where it leaked.
  const leaks = [...dump].flatMap(([key, value]) => findCanaries(`${key}\n${value}`, CANARY_SEARCH).map((canary) => {
    const at = `${key}\n${value}`.toLowerCase().indexOf(canary.toLowerCase());
    return `${key}: …${`${key}\n${value}`.slice(Math.max(0, at - 120), at + 60)}…`;
  }));
  expect(leaks, 'canary in Redis').toEqual([]);
  expect(findCanaries(redisText, CANARY_SEARCH), 'canary in Redis').toEqual([]);
  const secrets = [r.stack.webhookSecret, r.stack.env['QUEUE_ENCRYPTION_KEY'] ?? 'no-key'];
  const logs = r.stack.output();
  expect(findCanaries(logs, [...CANARY_SEARCH, ...secrets]), 'canary in a log line').toEqual([]);
  const metrics = await Promise.all([r.stack.api, ...r.stack.workers].map(metricsText));
  expect(findCanaries(metrics.join('\n'), [...CANARY_SEARCH, ...secrets]), 'canary in /metrics').toEqual([]);
  expect(findCanaries([...r.client.responses, ...extraText].join('\n'), [...CANARY_SEARCH, ...secrets]), 'canary in a response').toEqual([]);
  return { redisKeys: dump.size, logBytes: logs.length };
}

/** One `[measure]` line in the test output: the figures the README quotes. */
export function report(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`[measure] ${scenario}: ${JSON.stringify(figures)}\n`);
}

/**
 * Posts batches of canary events back to back (one every `intervalMs` at most) until `stop()`
 * says so, and returns every request's result: the load under which faults are injected.
 */
export async function loadUntil(client: ApiClient, options: { prefix: string; batchSize: number; intervalMs: number; stop: () => boolean }): Promise<PostResult[]> {
  const results: PostResult[] = [];
  for (let next = 0; !options.stop(); next += options.batchSize) {
    const began = Date.now();
    const items = Array.from({ length: options.batchSize }, (_, i) => canaryEvent(`${options.prefix}-${next + i}`, next + i));
    results.push(await client.postBatch(items));
    const spent = Date.now() - began;
    if (spent < options.intervalMs) await sleep(options.intervalMs - spent);
  }
  return results;
}

/** Sends `total` canary events in batches, one batch every `intervalMs`, numbered from `offset`. */
export async function postPaced(client: ApiClient, options: { prefix: string; total: number; batchSize: number; intervalMs: number; offset?: number; onBatch?: (result: PostResult) => void }): Promise<void> {
  const offset = options.offset ?? 0;
  for (let start = 0; start < options.total; start += options.batchSize) {
    const began = Date.now();
    const items = Array.from({ length: Math.min(options.batchSize, options.total - start) }, (_, i) => canaryEvent(`${options.prefix}-${offset + start + i}`, offset + start + i));
    // Like a well-behaved integrator: a 503 means "not stored, retry after Retry-After".
    let result = await client.postBatch(items);
    for (let retry = 0; result.status === 503 && retry < 5; retry += 1) {
      await sleep(Number(result.retryAfter ?? '1') * 1000);
      result = await client.postBatch(items);
    }
    options.onBatch?.(result);
    const spent = Date.now() - began;
    if (spent < options.intervalMs) await sleep(options.intervalMs - spent);
  }
}
