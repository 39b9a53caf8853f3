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
 * Events can be missed (the stream is read from the moment the hub started, a reconnect can skip
 * entries), so a waiter keeps a slow poll as a safety net; the hub only makes the common case cheap.
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
   * one blocking connection per provider.
   * @defaultValue `[prefix]`
   */
  prefixes?: readonly string[];
}

type Listener = () => void;

export class OutcomeEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly streams: { events: QueueEvents; connection: RedisConnection }[] = [];

  constructor(options: OutcomeEventsOptions) {
    const streams = (options.prefixes ?? [options.prefix ?? QUEUE_PREFIX]).flatMap((prefix) => PROVIDERS.map((provider) => ({ prefix, provider })));
    for (const { prefix, provider } of streams) {
      const connection = options.connect();
      connection.on('error', () => undefined);
      const events = new QueueEvents(QUEUE_NAMES[provider], { connection, prefix });
      // Errors show on the stream read, which BullMQ retries; the waiter's safety poll covers the gap.
      events.on('error', () => undefined);
      // `failed` is only emitted when a job has no attempt left; a retry is `delayed` or `waiting`,
      // which a waiter need not hear about (it waits for a final state).
      events.on('completed', ({ jobId }) => { this.notify(provider, jobId); });
      events.on('failed', ({ jobId }) => { this.notify(provider, jobId); });
      this.streams.push({ events, connection });
    }
  }

  /** Resolves once every stream reader is connected (tests wait for it before producing events). */
  async ready(): Promise<void> {
    await Promise.all(this.streams.map(({ events }) => events.waitUntilReady()));
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
    return () => {
      const current = this.listeners.get(key);
      current?.delete(listener);
      if (current?.size === 0) this.listeners.delete(key);
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

  async close(): Promise<void> {
    await Promise.all(this.streams.map(async ({ events, connection }) => {
      await events.close().catch(() => undefined);
      connection.disconnect();
    }));
    this.listeners.clear();
  }
}
