import type { Config } from '@capconnect/config';
import type { PreparedEvent } from '@capconnect/core';
import { buildDataManagerEvent, buildGoogleRow, buildIngestEventsRequest, buildMetaEvent, dataManagerInput } from '@capconnect/providers';
import { jobIdFor } from '@capconnect/queue';
import type { Logger } from '@capconnect/telemetry';
import type { RequestHandler } from 'express';
import { parseJsonBody } from './body.js';
import type { AppDeps } from './deps.js';
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

/** Every plain value and object key of the match fields (customData included), to recognise them in a payload. */
function plainValues(value: unknown, into = { values: new Set<string>(), keys: new Set<string>() }): { values: Set<string>; keys: Set<string> } {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') into.values.add(String(value));
  else if (Array.isArray(value)) for (const item of value) plainValues(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.keys.add(key);
      plainValues(item, into);
    }
  }
  return into;
}

/**
 * The payload with every value, and every object key, that comes from a match field replaced:
 * a `customData` key is the advertiser's free text (`{"canary@example.com": 1}` is a valid key) and
 * as personal as its value. Masked keys stay distinct: `[sealed]`, `[sealed-2]`, …
 */
function maskValues(value: unknown, secrets: { values: ReadonlySet<string>; keys: ReadonlySet<string> }): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return secrets.values.has(String(value)) ? SEALED : value;
  if (Array.isArray(value)) return value.map((item) => maskValues(item, secrets));
  if (value !== null && typeof value === 'object') {
    let masked = 0;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => {
      const shown = secrets.keys.has(key) ? (masked++ === 0 ? SEALED : `[sealed-${masked}]`) : key;
      return [shown, maskValues(item, secrets)];
    }));
  }
  return value;
}

/**
 * The exact provider payload for one prepared event (a Meta `data[]` element, a Google click
 * conversion or adjustment row, or a Data Manager `events:ingest` request carrying this one event
 * with its destination), built by the same code the workers use, with every value that comes from
 * a match field replaced by `[sealed]` (and every key of `customData` too): the integrator sees the
 * structure and the digests, and the preview sends no personal data back.
 */
export function providerPayloadOf(prepared: PreparedEvent, config: Pick<Config, 'google'>): unknown {
  let payload: unknown;
  if (prepared.provider === 'meta') payload = buildMetaEvent(prepared);
  else if (prepared.api === 'data-manager') {
    const destination = { operatingAccountId: config.google.customerId || '0', loginAccountId: config.google.loginCustomerId };
    payload = buildIngestEventsRequest([buildDataManagerEvent(dataManagerInput(prepared))], destination, config.google.validateOnly);
  } else payload = buildGoogleRow(prepared, { customerId: config.google.customerId || '0', timeZone: config.google.timeZone });
  // The match's own field names (fbc, clientIpAddress, …) are ours; only what is inside them is the sender's.
  const secrets = { values: new Set<string>(), keys: new Set<string>() };
  for (const value of Object.values(prepared.match)) plainValues(value, secrets);
  return maskValues(payload, secrets);
}

/** The preview answer for one posted value: the HTTP status and body `/v1/preview` sends. */
export function previewAnswer(input: unknown, config: Config, nowMs: number, logger: Logger): { status: number; body: Record<string, unknown> } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { status: 400, body: { error: 'invalid_body', message: 'the body must be one JSON object' } };
  }
  const checked = checkItem(input, config, nowMs, logger);
  if (checked.kind === 'invalid') {
    return { status: 400, body: { error: 'invalid_event', message: 'the event does not match the ingest contract', issues: checked.issues } };
  }
  const { eventId, prepared, skipped, warnings } = checked.result;
  if (prepared.length === 0) {
    return { status: 422, body: { error: 'no_destination', message: 'no provider can take this event; see skipped for the reasons', eventId, skipped, warnings } };
  }
  return {
    status: 200,
    body: {
      eventId,
      destinations: prepared.map((event) => ({
        provider: event.provider,
        jobId: jobIdFor(event.provider, eventId),
        payload: providerPayloadOf(event, config),
        job: previewOf(event),
      })),
      skipped,
      warnings,
    },
  };
}

/**
 * `POST /v1/preview`: the exact provider payloads and routing an event would produce, with the
 * warnings and skips, without storing anything. Same contract and status codes as `/v1/collect`,
 * but 200 instead of 202.
 */
export function previewHandler(deps: AppDeps): RequestHandler {
  return (req, res) => {
    const answer = previewAnswer(parseJsonBody(req), deps.config, deps.clock(), deps.logger);
    const eventId = answer.body.eventId;
    if (typeof eventId === 'string') noteEvents(res, [eventId]);
    // Errors already have the `{error, message, issues?}` shape every route answers with.
    res.status(answer.status).json(answer.body);
  };
}
