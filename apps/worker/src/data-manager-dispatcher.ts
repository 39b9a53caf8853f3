import type { DataManagerPreparedEvent, GooglePreparedEvent } from '@capconnect/core';
import {
  ConfigurationError, PermanentError, buildDataManagerEvent, dataManagerExpiresAtMs, dataManagerInput, prevalidateDataManagerEvent,
  type BuiltDataManagerEvent, type DataManagerClient, type DataManagerEventInput, type EventResult,
} from '@capconnect/providers';
import type { RequestPermits, RequestRecords } from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';
import { Batcher } from './batcher.js';
import { internalError, logBatch, type BatchSettings, type Dispatcher } from './dispatchers.js';

/**
 * The Data Manager path (`GOOGLE_API=data-manager`, docs/architecture.md#data-manager-path): jobs are
 * built into Data Manager events, pre-validated (the API is fast-fail: one bad event alone fails
 * here rather than sinking a request), and gathered per group of at most 10 conversion actions, the
 * destinations one request may carry. A due batch waits for a permit of the pool-wide request quota
 * and keeps filling meanwhile; every further HTTP request the client makes (re-sends after a culprit,
 * bisection halves, splits, the retry after a token refresh) spends a permit of its own.
 */

export interface DataManagerDelivery {
  client: DataManagerClient;
  /** `GOOGLE_BATCH_MAX` (≤ 2,000). */
  batchMax: number;
  /** `GOOGLE_VALIDATE_ONLY`: Google records nothing; the request record says so and is never polled. */
  validateOnly: boolean;
  /**
   * The pool-wide request quota (`quotas.write` of google-diagnostics.ts); the client must be built
   * with the same one, so a batch that waited for its permit does not take a second. Default: none.
   */
  permits?: RequestPermits | undefined;
  /** Request records for the diagnostics poller (`records` of google-diagnostics.ts). Default: none. */
  records?: Pick<RequestRecords, 'save'> | undefined;
}

/** Destinations per request (docs/platforms.md#dm-limits): one per conversion action. */
const ACTIONS_PER_REQUEST = 10;

interface Row {
  built: BuiltDataManagerEvent;
  eventId: string;
}

export function createDataManagerDispatcher(
  delivery: DataManagerDelivery, settings: BatchSettings, logger: Logger, metrics: Metrics, nowMs: () => number = Date.now,
): Dispatcher {
  const fields = { provider: 'google' as const, api: 'data-manager' };
  const { client, permits, records } = delivery;

  const send = async (rows: Row[], info: { gated: boolean }): Promise<EventResult[]> => {
    const started = performance.now();
    const { results, accepted } = await client.ingest(rows.map((row) => row.built), { permitsHeld: info.gated ? 1 : 0 });
    for (const request of accepted) {
      for (const [reason, count] of Object.entries(request.warnings)) metrics.recordFieldWarnings('google', reason, count);
      if (records === undefined) continue;
      const eventIds = request.indices.map((index) => (rows[index] as Row).eventId);
      try {
        // A validateOnly request is recorded too (its status then says so) but never polled: Google keeps none.
        await records.save({ requestId: request.requestId, provider: 'google', eventIds, sentAtMs: nowMs(), validateOnly: delivery.validateOnly, warnings: request.warnings });
      } catch (error) {
        // The events were delivered; only their later diagnostics are lost. Never fail them for it.
        logger.warn({ ...fields, errorName: error instanceof Error ? error.name : typeof error, events: eventIds.length }, 'request record not saved');
      }
    }
    logConfigurationErrors(results);
    logBatch(logger, fields, results, started);
    return results;
  };

  // A configuration error parks every job (docs/architecture.md#configuration-errors); the log names the fix, once per batch and code.
  const logConfigurationErrors = (results: readonly EventResult[]) => {
    const seen = new Set<string>();
    for (const result of results) {
      if (result.kind !== 'error' || !(result.error instanceof ConfigurationError) || seen.has(result.error.code)) continue;
      seen.add(result.error.code);
      logger.error({ ...fields, code: result.error.code, httpStatus: result.error.httpStatus, reference: result.error.reference }, result.error.message);
    }
  };

  const batchers: Batcher<Row, EventResult>[] = [];
  const groupOfAction = new Map<string, number>();
  const batcherFor = (actionId: string): Batcher<Row, EventResult> => {
    let group = groupOfAction.get(actionId);
    if (group === undefined) {
      group = Math.floor(groupOfAction.size / ACTIONS_PER_REQUEST);
      groupOfAction.set(actionId, group);
    }
    let batcher = batchers[group];
    if (batcher === undefined) {
      batcher = new Batcher<Row, EventResult>({
        ...settings,
        ...(permits !== undefined && { gate: () => permits.acquire() }),
        send,
        onError: internalError(logger, fields),
      });
      batchers[group] = batcher;
    }
    return batcher;
  };

  return {
    provider: 'google',
    expiresAtMs: (job) => dataManagerExpiresAtMs(job.event),
    async deliver(job, now) {
      let input: DataManagerEventInput;
      try {
        input = dataManagerInput(job as DataManagerPreparedEvent | GooglePreparedEvent);
      } catch (error) {
        if (error instanceof PermanentError) return { kind: 'error', error };
        throw error;
      }
      const built = buildDataManagerEvent(input);
      const refused = prevalidateDataManagerEvent(input, built, now);
      if (refused !== undefined) return { kind: 'error', error: refused };
      // Keyed by event id: a job handed out twice (BullMQ is at-least-once) rides in one row.
      return batcherFor(input.conversionActionId).submit({ built, eventId: job.event.eventId }, job.event.eventId);
    },
    async drain() {
      await Promise.all(batchers.map((batcher) => batcher.drain()));
    },
    noteDrained() {
      for (const batcher of batchers) batcher.noteDrained();
    },
  };
}
