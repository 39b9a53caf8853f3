import { PROVIDERS, type Provider } from '@capconnect/core';
import { QueueEvents } from 'bullmq';
import type { RedisConnection } from './connection.js';
import { QUEUE_NAMES, QUEUE_PREFIX } from './queue-names.js';

/**
 * Tells `?wait=` requests when a job settles, so a waiting request reads its status once when
 * something happened instead of polling Redis (docs/decisions.md#status-reads-and-waits). One hub
 * per process: one BullMQ `QueueEvents` per provider queue, each reading the queue's event stream
 * (a blocking `XREAD` on its own connection), shared by every waiter; a waiter costs a map entry,
 * not a connection or a Redis command.
 *
 * The readers run only while someone waits, and `idleMs` after the last waiter left: every job
 * written adds entries to these streams, and reading them back costs the api CPU per event whether
 * or not anyone waits (docs/decisions.md#settlement-readers-run-only-while-someone-waits). A reader
 * (re)started by a waiter starts from a second before Redis's own clock at its start, so a job
 * that settled while the reader was connecting is still heard of.
 *
 * Events can be missed (a reconnect can skip entries), so a waiter keeps a slow poll as a safety
 * net; the hub only makes the common case cheap.
 */

export interface OutcomeEventsOptions {
  /**
   * Makes one connection per provider queue, for the blocking stream read: a `worker`-role
   * connection (a fail-fast `producer` one would time the read out). The hub closes them.
   */
  connect: () => RedisConnection;
  /**
   * BullMQ key prefix.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * Every queue shard's prefix, when there are several (docs/architecture.md#shards). Each costs
   * one blocking connection per provider while the readers run.
   * @defaultValue `[prefix]`
   */
  prefixes?: readonly string[];
  /**
   * How long the readers keep running after the last waiter left, in ms.
   * @defaultValue 60000
   */
  idleMs?: number;
}

type Listener = () => void;

/** A started reader reads from this long before Redis's clock at its start. */
const REPLAY_MARGIN_MS = 1000;

interface Reader {
  connection: RedisConnection;
  events?: QueueEvents;
  /** Resolves once the reader is connected (or gave up). */
  started: Promise<void>;
  stopped: boolean;
}

export class OutcomeEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly streams: readonly { prefix: string; provider: Provider }[];
  private readonly connect: () => RedisConnection;
  private readonly idleMs: number;
  private readers: Reader[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: OutcomeEventsOptions) {
    this.streams = (options.prefixes ?? [options.prefix ?? QUEUE_PREFIX]).flatMap((prefix) => PROVIDERS.map((provider) => ({ prefix, provider })));
    this.connect = options.connect;
    this.idleMs = options.idleMs ?? 60_000;
  }

  /** Resolves once every running stream reader is connected (at once while none runs). */
  async ready(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.started));
  }

  /** Stream readers running now (0 while nobody waited for `idleMs`). */
  get runningReaders(): number {
    return this.readers.length;
  }

  /** Calls `listener` each time the job reaches a final state; returns the unsubscribe function. */
  subscribe(provider: Provider, jobId: string, listener: Listener): () => void {
    const key = `${provider}:${jobId}`;
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.readers.length === 0 && !this.closed) this.startReaders();
    return () => {
      const current = this.listeners.get(key);
      current?.delete(listener);
      if (current?.size === 0) this.listeners.delete(key);
      if (this.listeners.size === 0 && this.idleTimer === undefined && this.readers.length > 0) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = undefined;
          void this.stopReaders();
        }, this.idleMs);
        this.idleTimer.unref();
      }
    };
  }

  /** Jobs someone is waiting for right now. */
  get watchedJobs(): number {
    return this.listeners.size;
  }

  private notify(provider: Provider, jobId: string): void {
    const set = this.listeners.get(`${provider}:${jobId}`);
    if (set === undefined) return;
    for (const listener of [...set]) listener();
  }

  private startReaders(): void {
    this.readers = this.streams.map(({ prefix, provider }) => {
      const connection = this.connect();
      connection.on('error', () => undefined);
      const reader: Reader = { connection, started: Promise.resolve(), stopped: false };
      // A reader that cannot start leaves its waiters to their safety poll.
      reader.started = this.openReader(reader, prefix, provider).catch(() => undefined);
      return reader;
    });
  }

  private async openReader(reader: Reader, prefix: string, provider: Provider): Promise<void> {
    const askedAt = Date.now();
    const [seconds, microseconds] = await reader.connection.time();
    if (reader.stopped) return;
    // Redis's clock, not ours: stream entry ids are Redis milliseconds, and the two clocks may differ.
    const startMs = Number(seconds) * 1000 + Math.floor(Number(microseconds) / 1000) - (Date.now() - askedAt) - REPLAY_MARGIN_MS;
    const events = new QueueEvents(QUEUE_NAMES[provider], { connection: reader.connection, prefix, lastEventId: `${Math.max(0, startMs)}-0` });
    // Errors show on the stream read, which BullMQ retries; the waiter's safety poll covers the gap.
    events.on('error', () => undefined);
    // `failed` is only emitted when a job has no attempt left; a retry is `delayed` or `waiting`,
    // which a waiter need not hear about (it waits for a final state).
    events.on('completed', ({ jobId }) => { this.notify(provider, jobId); });
    events.on('failed', ({ jobId }) => { this.notify(provider, jobId); });
    reader.events = events;
    await events.waitUntilReady();
  }

  private async stopReaders(): Promise<void> {
    const readers = this.readers;
    this.readers = [];
    await Promise.all(readers.map(async (reader) => {
      reader.stopped = true;
      await reader.events?.close().catch(() => undefined);
      reader.connection.disconnect();
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    await this.stopReaders();
    this.listeners.clear();
  }
}
