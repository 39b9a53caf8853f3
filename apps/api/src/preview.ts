import { jobIdFor } from '@capconnect/queue';
import type { PreparedEvent } from '@capconnect/core';
import type { RequestHandler } from 'express';
import { parseJsonBody } from './body.js';
import type { AppDeps } from './deps.js';
import { HttpError, sendError } from './errors.js';
import { checkItem } from './ingest.js';
import { noteEvents } from './observe.js';

/** Stands in for a match field in a preview: present, and sealed in the job, never shown. */
export const SEALED = '[sealed]';

function maskMatch(match: object): Record<string, string> {
  return Object.fromEntries(Object.entries(match).filter(([, value]) => value !== undefined).map(([key]) => [key, SEALED]));
}

/**
 * What a provider's job would hold: event metadata and digests as they are, match fields (IP,
 * user agent, click ids, URL, plain address parts, customData) only named, since in the job they
 * are sealed and a preview must not send personal data back either.
 */
export function previewOf(prepared: PreparedEvent): Record<string, unknown> {
  return { ...prepared, match: maskMatch(prepared.match) };
}

/**
 * `POST /v1/preview`: the digests and routing an event would produce, per provider, with the
 * warnings and skips, without storing anything. Same contract and status codes as `/v1/collect`,
 * but 200 instead of 202.
 */
export function previewHandler(deps: AppDeps): RequestHandler {
  return (req, res) => {
    const body = parseJsonBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'invalid_body', 'the body must be one JSON object');
    }
    const checked = checkItem(body, deps.config, deps.clock(), deps.logger);
    if (checked.kind === 'invalid') {
      throw new HttpError(400, 'invalid_event', 'the event does not match the ingest contract', checked.issues);
    }
    const { eventId, prepared, skipped, warnings } = checked.result;
    noteEvents(res, [eventId]);
    if (prepared.length === 0) {
      sendError(res, 422, 'no_destination', 'no provider can take this event; see skipped for the reasons', { eventId, skipped, warnings });
      return;
    }
    res.status(200).json({
      eventId,
      destinations: prepared.map((event) => ({ provider: event.provider, jobId: jobIdFor(event.provider, eventId), job: previewOf(event) })),
      skipped,
      warnings,
    });
  };
}
