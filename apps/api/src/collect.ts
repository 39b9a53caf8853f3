import type { DeliveryTarget } from '@capconnect/queue';
import type { RequestHandler } from 'express';
import type { AppDeps } from './deps.js';
import { HttpError, sendError } from './errors.js';
import { acceptedBody, checkItem, checkItems, destinationsOf, enqueueChecked, type IngestResult } from './ingest.js';
import { warnSharedOrderIds } from './order-ids.js';
import { parseJsonBody } from './body.js';
import { noteEvents, noteOutcome } from './observe.js';
import { awaitOutcomes, syncAnswer, syncHttpStatus, waitMsOf, type WaitContext } from './wait.js';

function waitContext(deps: AppDeps): WaitContext {
  return { queues: deps.producer.shards, gate: deps.waitGate, events: deps.outcomes, logger: deps.logger };
}

/** `POST /v1/collect`: one event → 202 (stored), 422 (no provider can take it), 400 (invalid). */
export function collectHandler(deps: AppDeps): RequestHandler {
  return async (req, res) => {
    const waitMs = waitMsOf(req);
    const body = parseJsonBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'invalid_body', 'the body must be one JSON object; send arrays to /v1/collect/batch');
    }
    const nowMs = deps.clock();
    const checked = checkItem(body, deps.config, nowMs, deps.logger);
    noteEvents(res, checked.kind === 'prepared' ? [checked.result.eventId] : [], 1);
    const [result] = await enqueueChecked(deps, [checked], nowMs);
    if (!result) throw new Error('enqueue returned no result');
    noteOutcome(res, result.kind === 'accepted' ? result.status : result.kind);
    if (result.kind === 'invalid') {
      throw new HttpError(400, 'invalid_event', 'the event does not match the ingest contract', result.issues);
    }
    if (result.kind === 'rejected') {
      sendError(res, 422, 'no_destination', 'no provider can take this event; see skipped for the reasons', {
        eventId: result.eventId, skipped: result.skipped, warnings: result.warnings,
      });
      return;
    }
    if (waitMs === undefined) {
      res.status(202).json(acceptedBody(result));
      return;
    }
    const targets = destinationsOf(result);
    const waited = await awaitOutcomes(waitContext(deps), targets, waitMs, res);
    const answer = syncAnswer(result.eventId, targets, waited.statuses, result.skipped);
    res.status(syncHttpStatus(answer, waited)).json({ ...answer, ...(!waited.granted && { waitGranted: false }) });
  };
}

function ingestBatchEntry(result: IngestResult, index: number) {
  switch (result.kind) {
    case 'invalid':
      return { index, status: 'invalid' as const };
    case 'rejected':
      return { index, eventId: result.eventId, status: 'rejected' as const, destinations: [], skipped: result.skipped, warnings: result.warnings };
    default:
      return { index, ...acceptedBody(result) };
  }
}

/**
 * `POST /v1/collect/batch`: an array of up to `BATCH_MAX_EVENTS` events, each on its own: one
 * result per index, the contract issues of invalid items in `validationErrors`, one enqueue call
 * for the whole batch. Always 202 for an array (one bad item never fails the rest), 503 when the
 * store is down (then nothing of this batch is reported as stored).
 */
export function ingestBatchHandler(deps: AppDeps): RequestHandler {
  return async (req, res) => {
    const waitMs = waitMsOf(req);
    const body = parseJsonBody(req, deps.config.ingestBatchMaxEvents);
    if (!Array.isArray(body)) throw new HttpError(400, 'invalid_body', 'the body must be a JSON array of events');
    if (body.length === 0) throw new HttpError(400, 'invalid_body', 'the batch must hold at least one event');
    const nowMs = deps.clock();
    const checked = await checkItems(body as unknown[], deps.config, nowMs, deps.logger);
    warnSharedOrderIds(checked);
    noteEvents(res, checked.flatMap((item) => (item.kind === 'prepared' ? [item.result.eventId] : [])), body.length);
    const results = await enqueueChecked(deps, checked, nowMs);
    for (const result of results) noteOutcome(res, result.kind === 'accepted' ? result.status : result.kind);
    const validationErrors = results.flatMap((result, index) => (result.kind === 'invalid' ? [{ index, issues: result.issues }] : []));
    if (waitMs === undefined) {
      res.status(202).json({ results: results.map(ingestBatchEntry), validationErrors });
      return;
    }
    const targets: DeliveryTarget[] = results.flatMap(destinationsOf);
    const waited = await awaitOutcomes(waitContext(deps), targets, waitMs, res);
    let offset = 0;
    const entries = results.map((result, index) => {
      if (result.kind !== 'accepted') return ingestBatchEntry(result, index);
      const own = destinationsOf(result);
      const answer = syncAnswer(result.eventId, own, waited.statuses.slice(offset, offset + own.length), result.skipped);
      offset += own.length;
      return { index, ...answer };
    });
    // A batch has no single verdict: 200 when every stored event reached its outcome, else 202.
    res.status(waited.granted && waited.complete ? 200 : 202).json({ results: entries, validationErrors, ...(!waited.granted && { waitGranted: false }) });
  };
}
