import type { Logger, Metrics } from '@capconnect/telemetry';
import type { RequestHandler, Response } from 'express';
import { countersOf } from './counters.js';

/**
 * One log line and one metric observation per request. The route label is the route *template*
 * (`/v1/events/:eventId`), set by the route itself, so no id or raw URL becomes a label value.
 * Handlers add counts and event ids; bodies, headers and query strings are never logged.
 */

/** What a handler tells the request log about its request. */
export interface RequestNotes {
  route: string;
  /** Items in the request (1 for single-event routes). */
  events?: number;
  /** Event ids the request produced (the first few of a batch). */
  eventIds?: string[];
  /** Ingest outcome counts, e.g. `{queued: 3, invalid: 1}`. */
  outcomes?: Record<string, number>;
}

const MAX_LOGGED_EVENT_IDS = 10;
/** Where a response's notes are kept: under a symbol in its `locals` (see body.ts, `RAW_BODY`). */
const NOTES = Symbol('capconnect.requestNotes');

export function notesOf(res: Response): RequestNotes {
  const locals = res.locals as Record<symbol, RequestNotes | undefined>;
  let notes = locals[NOTES];
  if (!notes) {
    notes = { route: 'unmatched' };
    locals[NOTES] = notes;
  }
  return notes;
}

/** First handler of every route: names the route for metrics and logs. */
export function routeLabel(route: string): RequestHandler {
  return (_req, res, next) => {
    notesOf(res).route = route;
    next();
  };
}

export function noteEvents(res: Response, eventIds: readonly string[], events = eventIds.length): void {
  const notes = notesOf(res);
  notes.events = events;
  notes.eventIds = eventIds.slice(0, MAX_LOGGED_EVENT_IDS);
}

export function noteOutcome(res: Response, outcome: string, count = 1): void {
  const notes = notesOf(res);
  notes.outcomes ??= {};
  notes.outcomes[outcome] = (notes.outcomes[outcome] ?? 0) + count;
}

export function observeRequests(metrics: Metrics, logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const durationS = Number(process.hrtime.bigint() - started) / 1e9;
      const notes = notesOf(res);
      // A client that hung up before the answer was written is recorded as 499, as nginx does.
      const status = res.writableFinished ? res.statusCode : 499;
      const labels = { route: notes.route, status: String(status) };
      countersOf(metrics).httpRequests.add(labels.route, labels.status);
      metrics.httpRequestDuration.observe(labels, durationS);
      // The line is only built when it is written (LOG_LEVEL=warn skips it).
      if (!logger.isLevelEnabled('info')) return;
      logger.info(
        {
          method: req.method,
          route: notes.route,
          status,
          durationMs: Math.round(durationS * 1e4) / 10,
          ...(notes.events !== undefined && { events: notes.events }),
          ...(notes.eventIds !== undefined && { eventIds: notes.eventIds }),
          ...(notes.outcomes !== undefined && { outcomes: notes.outcomes }),
        },
        'request',
      );
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
