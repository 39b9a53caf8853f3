import type { AdsApiMode, GoogleMode, GooglePreparedEvent, MetaPreparedEvent, Provider } from '@capconnect/core';
import {
  PermanentError, TransientError, buildGoogleRow, buildMetaEvent, coerceError, errorCode, googleExpiresAtMs, metaExpiresAtMs,
  prevalidateMetaEvent, type EventResult, type GoogleClient, type GoogleRow, type MetaClient, type MetaServerEvent,
} from '@capconnect/providers';
import type { OpenedJob } from '@capconnect/queue';
import type { Logger } from '@capconnect/telemetry';
import { Batcher } from './batcher.js';

/**
 * A dispatcher turns one opened job into one row of a provider batch and hands back that row's
 * result. Terminology: a *batch* is the set of jobs that share one provider request (not the client's
 * ingest batch of `POST /v1/collect/batch`); *sending* it is one provider request. Building and pre-validation are pure (packages/providers); the batcher does the gathering.
 */
export interface Dispatcher {
  readonly provider: Provider;
  /** Unix ms after which the event must never be sent (docs/architecture.md#expiry). */
  expiresAtMs(job: OpenedJob): number;
  /** Builds, checks and batches the event; resolves with its own result, never rejects. */
  deliver(job: OpenedJob, nowMs: number): Promise<EventResult>;
  /** Sends open batches now and waits for those in flight (shutdown). */
  drain(): Promise<void>;
  /** The queue ran dry (BullMQ `drained`): open batches stop waiting for a backlog (see Batcher). */
  noteDrained(): void;
}

export interface BatchSettings {
  maxSize: number;
  lingerMs: number;
  /** Longest wait of a batch while a backlog drains (Batcher). */
  maxLingerMs: number;
  /** False while the worker holds as many jobs as its concurrency allows (Batcher). */
  canGrow: () => boolean;
}

/**
 * The result every event of a batch gets when sending it threw something unexpected (a bug, not a
 * provider answer): retried as `internal`, and logged by error name and code only, since the
 * message of an arbitrary error could quote event data.
 */
export function internalError(logger: Logger, fields: { provider: Provider; mode?: GoogleMode; api?: string }): (error: unknown) => EventResult {
  return (thrown) => {
    const error = coerceError(thrown);
    const { code } = error as { code?: unknown };
    logger.error({
      ...fields, errorName: error.name, ...((typeof code === 'string' || typeof code === 'number') && { code }),
    }, 'batch send failed unexpectedly');
    return { kind: 'error', error: new TransientError({ code: 'internal' }) };
  };
}

/** One log line per batch: provider, size, statuses, duration and codes; never payloads or provider text. */
export function logBatch(logger: Logger, fields: { provider: Provider; mode?: GoogleMode; api?: string }, results: readonly EventResult[], startedMs: number): void {
  const statuses = new Set<number>();
  const codes = new Set<string>();
  let sent = 0;
  for (const result of results) {
    if (result.kind === 'sent') {
      sent += 1;
      statuses.add(result.httpStatus);
    } else {
      codes.add(errorCode(result.error));
      if (result.error.httpStatus !== undefined) statuses.add(result.error.httpStatus);
    }
  }
  logger.info({
    ...fields, size: results.length, sent, failed: results.length - sent, status: [...statuses], codes: [...codes],
    durationMs: Math.round(performance.now() - startedMs),
  }, 'batch');
}

export function createMetaDispatcher(client: MetaClient, settings: BatchSettings, logger: Logger): Dispatcher {
  const batcher = new Batcher<MetaServerEvent, EventResult>({
    ...settings,
    send: async (events) => {
      const started = performance.now();
      const results = await client.send(events);
      logBatch(logger, { provider: 'meta' }, results, started);
      return results;
    },
    onError: internalError(logger, { provider: 'meta' }),
  });
  return {
    provider: 'meta',
    expiresAtMs: (job) => metaExpiresAtMs(job.event),
    deliver(job, nowMs) {
      let event: MetaServerEvent;
      try {
        event = buildMetaEvent(job as MetaPreparedEvent);
        // One event Meta would refuse sinks the whole batch: refuse it here, alone.
        prevalidateMetaEvent(event, nowMs);
      } catch (error) {
        if (error instanceof PermanentError) return Promise.resolve({ kind: 'error', error });
        return Promise.reject(error instanceof Error ? error : new Error('payload could not be built'));
      }
      // Keyed by event id: a job handed out twice (BullMQ is at-least-once) rides in one row.
      return batcher.submit(event, job.event.eventId);
    },
    drain: () => batcher.drain(),
    noteDrained: () => { batcher.noteDrained(); },
  };
}

/** The Google Ads API path (`GOOGLE_API=ads-api`): click conversions and enhancements, one request per mode. */
export function createGoogleDispatcher(client: GoogleClient, context: { customerId: string; timeZone: string }, settings: BatchSettings, logger: Logger): Dispatcher {
  // One request per (customer, mode): the customer is fixed per process, so one batcher per mode.
  const batchers = new Map<AdsApiMode, Batcher<GoogleRow, EventResult>>();
  for (const mode of ['click', 'enhancement'] as const) {
    batchers.set(mode, new Batcher<GoogleRow, EventResult>({
      ...settings,
      send: async (rows) => {
        const started = performance.now();
        const results = await client.send(mode, rows);
        logBatch(logger, { provider: 'google', mode }, results, started);
        return results;
      },
      onError: internalError(logger, { provider: 'google', mode }),
    }));
  }
  return {
    provider: 'google',
    expiresAtMs: (job) => googleExpiresAtMs(job as GooglePreparedEvent),
    async deliver(job) {
      // A Data Manager job on a worker switched back to the Google Ads API: it waits in the
      // dead-letter queue for a replay on the Data Manager path (docs/decisions.md#google-api-selection).
      if (job.provider === 'google' && job.api === 'data-manager') return { kind: 'error', error: new PermanentError({ reason: 'google_api_mismatch' }) };
      const prepared = job as GooglePreparedEvent;
      let row: GoogleRow;
      try {
        row = buildGoogleRow(prepared, context);
      } catch (error) {
        if (error instanceof PermanentError) return { kind: 'error', error };
        throw error;
      }
      const batcher = batchers.get(prepared.mode);
      if (batcher === undefined) return { kind: 'error', error: new PermanentError({ reason: 'invalid_job' }) };
      return batcher.submit(row, job.event.eventId);
    },
    async drain() {
      await Promise.all([...batchers.values()].map((batcher) => batcher.drain()));
    },
    noteDrained() {
      for (const batcher of batchers.values()) batcher.noteDrained();
    },
  };
}
