import { randomInt } from 'node:crypto';
import type { ActiveFault } from './faults.js';
import { adsError, badPayload, element, partialFailure, requestError, rowFault, type RowError } from './google-errors.js';
import { checkAdjustment, checkClickConversion, clickIdOf } from './google-rules.js';
import { checkRequestShape, UPLOAD_CLICK_CONVERSIONS_REQUEST, UPLOAD_CONVERSION_ADJUSTMENTS_REQUEST } from './google-schema.js';
import { isPlainObject, newRequestId, tryParseJson, type IncomingCall, type Reply } from './http.js';
import type { TokenStore } from './oauth.js';
import type { ResolvedOptions } from './options.js';
import type { GoogleAcceptedRow, SandboxState } from './state.js';
import type {
  GoogleClickConversion, GoogleClickConversionResult, GoogleConversionAdjustment, GoogleConversionAdjustmentResult,
  UploadClickConversionsResponse,
} from './types.js';

/** "Upload fewer than 2001 events in a single request" (ConversionUploadError.TOO_MANY_CONVERSIONS_IN_REQUEST). */
export const GOOGLE_MAX_ROWS = 2000;

export type GoogleMethod = 'uploadClickConversions' | 'uploadConversionAdjustments';

export interface GoogleContext {
  options: ResolvedOptions;
  state: SandboxState;
  tokens: TokenStore;
}

export interface GoogleRoute {
  version: string;
  customerId: string;
  method: GoogleMethod;
  requestId: string;
}

const CUSTOMER_ID = /^\d{10}$/;
const DIGITS = /^\d+$/;
const PERMISSION_DENIED_TEXT = "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid";

export function newGoogleRoute(version: string, customerId: string, method: GoogleMethod): GoogleRoute {
  return { version, customerId, method, requestId: newRequestId() };
}

function header(call: IncomingCall, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Headers and customer checks (docs/platforms.md#google-oauth); a Reply when the request is refused. */
function authorize(ctx: GoogleContext, call: IncomingCall, route: GoogleRoute): Reply | undefined {
  const { version, requestId, customerId } = route;
  const auth = header(call, 'authorization');
  const bearer = auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
  if (bearer === undefined || bearer === '') {
    return requestError(401, version, requestId, [adsError({ authenticationError: 'OAUTH_TOKEN_HEADER_INVALID' }, 'Oauth token header is not valid.')]);
  }
  const check = ctx.tokens.check(bearer, ctx.state.nowMs());
  if (check !== 'valid') {
    const code = { expired: 'OAUTH_TOKEN_EXPIRED', revoked: 'OAUTH_TOKEN_REVOKED', invalid: 'OAUTH_TOKEN_INVALID' }[check];
    return requestError(401, version, requestId, [adsError({ authenticationError: code }, `Oauth token is ${check}.`)]);
  }
  // Google ignores the header since developer tokens were retired (2026-09-09); a wrong one is still refused here.
  const developerToken = header(call, 'developer-token');
  if (developerToken !== undefined && developerToken !== ctx.options.google.developerToken) {
    return requestError(401, version, requestId, [adsError({ authenticationError: 'DEVELOPER_TOKEN_INVALID' }, 'The developer token is not valid.')]);
  }
  const login = header(call, 'login-customer-id');
  if (login !== undefined && !DIGITS.test(login)) {
    return requestError(400, version, requestId, [adsError({ headerError: 'INVALID_LOGIN_CUSTOMER_ID' }, 'The login customer ID could not be validated.')]);
  }
  const expected = ctx.options.google.loginCustomerId;
  if (expected !== undefined && login !== expected) {
    return requestError(403, version, requestId, [adsError({ authorizationError: 'USER_PERMISSION_DENIED' }, PERMISSION_DENIED_TEXT)]);
  }
  if (!CUSTOMER_ID.test(customerId)) {
    return requestError(400, version, requestId, [adsError({ requestError: 'INVALID_CUSTOMER_ID' }, 'Customer ID must be 10 digits, without hyphens.')]);
  }
  if (!ctx.options.google.customerIds.has(customerId)) {
    return requestError(403, version, requestId, [adsError({ authorizationError: 'USER_PERMISSION_DENIED' }, PERMISSION_DENIED_TEXT)]);
  }
  return undefined;
}

/** `POST /{version}/customers/{id}:uploadClickConversions` and `:uploadConversionAdjustments`. */
export function handleGoogleUpload(ctx: GoogleContext, call: IncomingCall, route: GoogleRoute, fault?: ActiveFault): Reply {
  const { state } = ctx;
  const { version, requestId, customerId, method } = route;
  const refused = authorize(ctx, call, route);
  if (refused !== undefined) {
    state.google.refused += 1;
    return refused;
  }
  const stats = state.destination('google', customerId);
  stats.requests += 1;

  const adjustments = method === 'uploadConversionAdjustments';
  const body = tryParseJson(call.body);
  if (!isPlainObject(body)) return badPayload(requestId, '', 'Invalid JSON payload received. Expected a JSON object.');
  const shape = checkRequestShape(adjustments ? UPLOAD_CONVERSION_ADJUSTMENTS_REQUEST : UPLOAD_CLICK_CONVERSIONS_REQUEST, body, version);
  if (shape !== undefined) return badPayload(requestId, shape.field, shape.description);

  const collection = adjustments ? 'conversion_adjustments' : 'conversions';
  const enumName = adjustments ? 'conversionAdjustmentUploadError' : 'conversionUploadError';
  const rows = (body[adjustments ? 'conversionAdjustments' : 'conversions'] ?? []) as unknown[];
  if (body['partialFailure'] !== true) {
    return requestError(400, version, requestId, [adsError({ partialFailureError: 'PARTIAL_FAILURE_MODE_REQUIRED' },
      'The partial failure field was false in the request. This method requires this field be set to true.', [element('partial_failure')])]);
  }
  if (rows.length === 0) {
    return requestError(400, version, requestId, [adsError({ fieldError: 'REQUIRED_NONEMPTY_LIST' }, 'This field must contain at least one element.', [element(collection)])]);
  }
  if (rows.length > GOOGLE_MAX_ROWS) {
    state.count('google', customerId, { eventsReceived: rows.length, accepted: 0, deduplicated: 0, rejected: rows.length }, rows.length);
    const code = adjustments ? 'TOO_MANY_ADJUSTMENTS_IN_REQUEST' : 'TOO_MANY_CONVERSIONS_IN_REQUEST';
    return requestError(400, version, requestId, [adsError({ [enumName]: code },
      `Upload fewer than ${GOOGLE_MAX_ROWS + 1} ${adjustments ? 'adjustments' : 'events'} in a single request.`, [element(collection)])]);
  }
  const jobIdIn = body['jobId'];
  const jobIdNumber = jobIdIn === undefined || jobIdIn === null ? undefined : Number(jobIdIn);
  if (jobIdNumber !== undefined && !(jobIdNumber >= 0 && jobIdNumber < 2 ** 31)) {
    return requestError(400, version, requestId, [adsError({ [enumName]: 'INVALID_JOB_ID' }, 'The job ID must be between 0 and 2^31 - 1.', [element('job_id')])]);
  }

  const validateOnly = body['validateOnly'] === true;
  const outcome = adjustments
    ? processAdjustments(ctx, customerId, rows as Partial<GoogleConversionAdjustment>[], validateOnly, fault)
    : processClicks(ctx, customerId, rows as Partial<GoogleClickConversion>[], validateOnly, fault);
  const response: UploadClickConversionsResponse = {};
  if (outcome.errors.size > 0) response.partialFailureError = partialFailure(version, requestId, collection, outcome.errors);
  if (!validateOnly) {
    response.results = outcome.results;
    response.jobId = String(jobIdNumber ?? randomInt(2 ** 31, 2 ** 47));
    state.count('google', customerId, { eventsReceived: rows.length, accepted: outcome.accepted, deduplicated: outcome.deduplicated, rejected: outcome.errors.size - outcome.deduplicated }, rows.length);
  }
  return { status: 200, body: response, headers: { 'request-id': requestId } };
}

interface Outcome {
  errors: Map<number, RowError>;
  results: (GoogleClickConversionResult | GoogleConversionAdjustmentResult)[];
  accepted: number;
  deduplicated: number;
}

function record(ctx: GoogleContext, row: GoogleAcceptedRow): void {
  if (ctx.state.googleRows.length >= ctx.options.maxRecordedEvents) ctx.state.google.unrecorded += 1;
  else ctx.state.googleRows.push(row);
}

function actionIdOf(resourceName: string | undefined): string {
  if (resourceName === undefined) return '';
  return resourceName.slice(resourceName.lastIndexOf('/') + 1);
}

function processClicks(ctx: GoogleContext, customerId: string, rows: Partial<GoogleClickConversion>[], validateOnly: boolean, fault?: ActiveFault): Outcome {
  const { state, options } = ctx;
  const nowMs = state.nowMs();
  const out: Outcome = { errors: new Map(), results: [], accepted: 0, deduplicated: 0 };
  const forced = fault === undefined ? undefined : rowFault(fault, false);
  const orderKeys = new Set<string>();
  const clickKeys = new Set<string>();
  const recorded: GoogleAcceptedRow[] = [];
  for (const [i, row] of rows.entries()) {
    let error = forced ?? checkClickConversion(row, options.google.conversionActions, nowMs);
    let duplicate = false;
    const prefix = `${customerId}/${actionIdOf(row.conversionAction)}/`;
    const orderKey = row.orderId === undefined ? undefined : prefix + row.orderId;
    const clickId = clickIdOf(row);
    const clickKey = clickId === undefined ? undefined : `${prefix}${clickId}/${row.conversionDateTime}`;
    if (error === undefined) {
      duplicate = true;
      if (orderKey !== undefined && orderKeys.has(orderKey)) {
        error = { errorCode: { conversionUploadError: 'DUPLICATE_ORDER_ID' }, message: 'Conversions in the request have the same order ID and conversion action.', path: [{ fieldName: 'order_id' }] };
      } else if (orderKey === undefined && clickKey !== undefined && clickKeys.has(clickKey)) {
        error = { errorCode: { conversionUploadError: 'DUPLICATE_CLICK_CONVERSION_IN_REQUEST' }, message: 'The request contains more than one conversion for the same click, conversion action and time.', path: [] };
      } else if (orderKey !== undefined && state.googleOrderIds.has(orderKey)) {
        error = state.googleOrderIds.get(orderKey) === row.conversionDateTime
          ? { errorCode: { conversionUploadError: 'CLICK_CONVERSION_ALREADY_EXISTS' }, message: 'This conversion was already reported.', path: [] }
          : { errorCode: { conversionUploadError: 'ORDER_ID_ALREADY_IN_USE' }, message: 'The order ID was already used for this conversion action.', path: [{ fieldName: 'order_id' }] };
      } else if (orderKey === undefined && clickKey !== undefined && state.googleClicks.has(clickKey)) {
        error = { errorCode: { conversionUploadError: 'CLICK_CONVERSION_ALREADY_EXISTS' }, message: 'This conversion was already reported.', path: [] };
      } else {
        duplicate = false;
      }
    }
    if (error !== undefined) {
      out.errors.set(i, error);
      if (duplicate) out.deduplicated += 1;
      out.results.push({});
      continue;
    }
    // Only rows that pass count for in-request duplicates, so one bad row does not sink its twin.
    if (orderKey !== undefined) orderKeys.add(orderKey);
    if (clickKey !== undefined) clickKeys.add(clickKey);
    // Past the rules, the required fields are there.
    const valid = row as GoogleClickConversion;
    out.accepted += 1;
    out.results.push(clickResult(valid));
    if (validateOnly) continue;
    if (orderKey !== undefined) state.googleOrderIds.set(orderKey, valid.conversionDateTime);
    if (clickKey !== undefined) state.googleClicks.add(clickKey);
    recorded.push({ kind: 'click', customerId, receivedAtMs: nowMs, row: valid });
  }
  for (const row of recorded) record(ctx, row);
  return out;
}

function clickResult(row: GoogleClickConversion): GoogleClickConversionResult {
  const result: GoogleClickConversionResult = { conversionAction: row.conversionAction, conversionDateTime: row.conversionDateTime };
  if (row.gclid !== undefined) result.gclid = row.gclid;
  if (row.gbraid !== undefined) result.gbraid = row.gbraid;
  if (row.wbraid !== undefined) result.wbraid = row.wbraid;
  if (row.userIdentifiers !== undefined) result.userIdentifiers = row.userIdentifiers;
  return result;
}

function processAdjustments(ctx: GoogleContext, customerId: string, rows: Partial<GoogleConversionAdjustment>[], validateOnly: boolean, fault?: ActiveFault): Outcome {
  const { state, options } = ctx;
  const nowMs = state.nowMs();
  const out: Outcome = { errors: new Map(), results: [], accepted: 0, deduplicated: 0 };
  const forced = fault === undefined ? undefined : rowFault(fault, true);
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    let error = forced ?? checkAdjustment(row, options.google.conversionActions);
    const key = `${customerId}/${actionIdOf(row.conversionAction)}/${row.orderId ?? ''}`;
    if (error === undefined && seen.has(key)) {
      error = { errorCode: { conversionAdjustmentUploadError: 'DUPLICATE_ENHANCEMENT_IN_REQUEST' }, message: 'The request contains more than one enhancement for the same conversion.', path: [{ fieldName: 'order_id' }] };
      out.deduplicated += 1;
    } else if (error === undefined && state.googleEnhanced.has(key)) {
      error = { errorCode: { conversionAdjustmentUploadError: 'CONVERSION_ALREADY_ENHANCED' }, message: 'The conversion was already enhanced.', path: [{ fieldName: 'order_id' }] };
      out.deduplicated += 1;
    }
    if (error !== undefined) {
      out.errors.set(i, error);
      out.results.push({});
      continue;
    }
    seen.add(key);
    const valid = row as GoogleConversionAdjustment;
    out.accepted += 1;
    const result: GoogleConversionAdjustmentResult = { orderId: valid.orderId ?? '', conversionAction: valid.conversionAction, adjustmentType: valid.adjustmentType };
    if (valid.adjustmentDateTime !== undefined) result.adjustmentDateTime = valid.adjustmentDateTime;
    if (valid.gclidDateTimePair !== undefined) result.gclidDateTimePair = valid.gclidDateTimePair;
    out.results.push(result);
    if (validateOnly) continue;
    state.googleEnhanced.add(key);
    record(ctx, { kind: 'adjustment', customerId, receivedAtMs: nowMs, row: valid });
  }
  return out;
}
