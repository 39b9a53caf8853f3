import type { ActiveFault } from './faults.js';
import { isFormEncoded, isPlainObject, newTraceId, parseForm, tryParseJson, type IncomingCall, type Reply } from './http.js';
import { validateMetaEvent } from './meta-rules.js';
import type { ResolvedOptions } from './options.js';
import type { SandboxState } from './state.js';
import type { MetaErrorBody, MetaGraphError, MetaServerEvent, MetaSuccessBody } from './types.js';

/** Meta accepts at most 1,000 events per request (using-the-api, "API limits"). */
export const META_MAX_EVENTS = 1000;

export interface MetaContext {
  options: ResolvedOptions;
  state: SandboxState;
}

type GraphErrorFields = Omit<MetaGraphError, 'fbtrace_id' | 'is_transient'> & { is_transient?: boolean };

/** A Graph error body; HTTP 400 unless told otherwise (Graph answers most errors with 400). */
export function graphError(fields: GraphErrorFields, status = 400, headers?: Record<string, string>): Reply {
  const body: MetaErrorBody = { error: { ...fields, is_transient: fields.is_transient ?? false, fbtrace_id: newTraceId() } };
  return headers === undefined ? { status, body } : { status, body, headers };
}

function paramError(message: string): Reply {
  return graphError({ message: `(#100) ${message}`, type: 'OAuthException', code: 100 });
}

const TRANSIENT_TEXT: Record<number, { message: string; status: number }> = {
  1: { message: 'An unknown error occurred', status: 500 },
  2: { message: 'An unexpected error has occurred. Please retry your request later.', status: 503 },
  4: { message: '(#4) Application request limit reached', status: 400 },
  17: { message: '(#17) User request limit reached', status: 400 },
  613: { message: '(#613) Calls to this api have exceeded the rate limit.', status: 400 },
};

/** The answer for a Meta-specific fault, or undefined for the generic ones (delay, drop, hang). */
export function metaFaultReply(fault: ActiveFault): Reply | undefined {
  switch (fault.kind) {
    case 'http-500':
      return graphError({ message: 'An unknown error occurred', type: 'OAuthException', code: 1, is_transient: true }, 500);
    case 'http-503':
      return graphError({ message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true }, 503);
    case 'http-429':
      return graphError({ message: '(#4) Application request limit reached', type: 'OAuthException', code: 4, is_transient: true }, 429,
        { 'retry-after': String(fault.retryAfterS ?? 30) });
    case 'meta-transient': {
      const code = fault.metaCode ?? 2;
      const text = TRANSIENT_TEXT[code] ?? { message: 'An unknown error occurred', status: 500 };
      return graphError({ message: text.message, type: 'OAuthException', code, is_transient: true }, text.status);
    }
    case 'token-expired':
      return graphError({ message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463 });
    case 'token-revoked':
      return graphError({
        message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
        type: 'OAuthException', code: 190, error_subcode: 460,
      });
    case 'permission-denied':
      return graphError({ message: '(#200) Permissions error', type: 'OAuthException', code: 200 }, 403);
    default:
      return undefined;
  }
}

/** `v25.0` → [25, 0]; anything else sorts first. */
function versionParts(version: string): [number, number] {
  const match = /^v(\d+)\.(\d+)$/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}

/** True when `version` is older than `minimum` (both `vNN.N`). */
export function isOlderVersion(version: string, minimum: string): boolean {
  const [major, minor] = versionParts(version);
  const [minMajor, minMinor] = versionParts(minimum);
  return major < minMajor || (major === minMajor && minor < minMinor);
}

/** `POST /{version}/{pixelId}/events`. */
export function handleMetaEvents(ctx: MetaContext, call: IncomingCall, pixelId: string, version = SANDBOX_VERSION_ANY): Reply {
  const reply = answerMetaEvents(ctx, call, pixelId, version);
  const warning = ctx.options.meta.versionWarning;
  return warning === undefined ? reply : { ...reply, headers: { ...reply.headers, 'x-ad-api-version-warning': warning } };
}

/** Stands for "no version in the path" when a test drives the handler directly. */
const SANDBOX_VERSION_ANY = '';

function answerMetaEvents(ctx: MetaContext, call: IncomingCall, pixelId: string, version: string): Reply {
  const { state, options } = ctx;
  const minimum = options.meta.minApiVersion;
  if (minimum !== undefined && version !== SANDBOX_VERSION_ANY && isOlderVersion(version, minimum)) {
    state.meta.refused += 1;
    return graphError({ message: '(#2635) This Ads API version is deprecated; call a newer version.', type: 'OAuthException', code: 2635 });
  }
  const form = isFormEncoded(call.headers);
  let body: Record<string, unknown>;
  if (form) {
    body = parseForm(call.body);
  } else {
    const parsed = call.body === '' ? {} : tryParseJson(call.body);
    if (!isPlainObject(parsed)) {
      state.meta.refused += 1;
      return paramError('The request body must be a JSON object or form-encoded parameters');
    }
    body = parsed;
  }

  const token = call.query.get('access_token') ?? body['access_token'];
  if (token === undefined || token === '') {
    state.meta.refused += 1;
    return graphError({ message: 'An access token is required to request this resource.', type: 'OAuthException', code: 104 });
  }
  if (typeof token !== 'string' || !options.meta.accessTokens.has(token)) {
    state.meta.refused += 1;
    return graphError({ message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 });
  }
  if (!options.meta.pixels.has(pixelId)) {
    state.meta.refused += 1;
    return graphError({
      message: `Unsupported post request. Object with ID '${pixelId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      type: 'GraphMethodException', code: 100, error_subcode: 33,
    });
  }

  const stats = state.destination('meta', pixelId);
  stats.requests += 1;
  const data = form && typeof body['data'] === 'string' ? tryParseJson(body['data']) : body['data'];
  const testEventCode = call.query.get('test_event_code') ?? body['test_event_code'];
  if (data === undefined || (Array.isArray(data) && data.length === 0)) return paramError('The parameter data is required');
  if (!Array.isArray(data)) return paramError('param data must be an array.');
  if (data.length > META_MAX_EVENTS) {
    state.count('meta', pixelId, { eventsReceived: data.length, accepted: 0, deduplicated: 0, rejected: data.length }, data.length);
    return paramError(`param data must contain at most ${META_MAX_EVENTS} events.`);
  }
  if (testEventCode !== undefined && typeof testEventCode !== 'string') return paramError('param test_event_code must be a string.');

  const nowMs = state.nowMs();
  const nowS = Math.floor(nowMs / 1000);
  for (let i = 0; i < data.length; i++) {
    const violation = validateMetaEvent(data[i], i, nowS, options.meta.maxFutureSkewS);
    if (violation !== undefined) {
      state.count('meta', pixelId, { eventsReceived: data.length, accepted: 0, deduplicated: 0, rejected: data.length }, data.length);
      return graphError({
        message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: violation.subcode,
        error_user_title: violation.title, error_user_msg: violation.userMsg,
      });
    }
  }

  let accepted = 0;
  for (const item of data as MetaServerEvent[]) {
    if (item.event_id !== undefined && state.metaSeen(pixelId, item.event_name, item.event_id, nowMs)) continue;
    accepted += 1;
    if (state.metaEvents.length >= options.maxRecordedEvents) {
      state.meta.unrecorded += 1;
      continue;
    }
    state.metaEvents.push(testEventCode === undefined
      ? { pixelId, receivedAtMs: nowMs, event: item }
      : { pixelId, receivedAtMs: nowMs, testEventCode, event: item });
  }
  state.count('meta', pixelId, { eventsReceived: data.length, accepted, deduplicated: data.length - accepted, rejected: 0 }, data.length);
  const success: MetaSuccessBody = { events_received: data.length, messages: [], fbtrace_id: newTraceId() };
  return { status: 200, body: success };
}
