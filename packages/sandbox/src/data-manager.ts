import { randomUUID } from 'node:crypto';
import { dmError, invalidArgument, payloadTooLarge, resourceExhausted, scopeInsufficient, unauthenticated, type DmViolation } from './data-manager-errors.js';
import { checkEvent, checkRequest, type EventFacts, type RuleContext } from './data-manager-rules.js';
import type { DataManagerDestinationOutcome, DataManagerState } from './data-manager-state.js';
import type { ActiveFault } from './faults.js';
import { isPlainObject, tryParseJson, type IncomingCall, type Reply } from './http.js';
import type { TokenStore } from './oauth.js';
import { SANDBOX_DEFAULTS, type ResolvedOptions } from './options.js';
import type { SandboxState } from './state.js';

/**
 * The Google Data Manager API fake: `POST /v1/events:ingest` and `GET /v1/requestStatus:retrieve`
 * (docs/platforms.md#google-data-manager-api). Fast-fail like the real API: any event breaking a
 * rule rejects the whole request with 400 INVALID_ARGUMENT naming every offending event.
 */

export interface DataManagerContext {
  options: ResolvedOptions;
  state: SandboxState;
  tokens: TokenStore;
  dm: DataManagerState;
}

export type DataManagerMethod = 'ingest' | 'retrieve';

/** Request ids look like Google's: a UUID. */
export const newDmRequestId = (): string => randomUUID();

function bearer(call: IncomingCall): string | undefined {
  const auth: string | undefined = call.headers.authorization;
  return auth !== undefined && /^Bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
}

/** Token, scope and quota; the project (OAuth client) the quota is charged to, or the refusal. */
function authorize(ctx: DataManagerContext, call: IncomingCall, method: DataManagerMethod, requestId: string): Reply | undefined {
  const token = bearer(call);
  const nowMs = ctx.state.nowMs();
  let project: string;
  if (token !== undefined && ctx.options.dataManager.staticAccessTokens.has(token)) {
    project = 'static';
  } else {
    if (token === undefined || token === '' || ctx.tokens.check(token, nowMs) !== 'valid') return unauthenticated(requestId);
    const holder = ctx.tokens.holderOf(token);
    if (holder === undefined || !holder.scopes.includes(SANDBOX_DEFAULTS.dataManager.scope)) return scopeInsufficient(requestId);
    project = holder.clientId;
  }
  if (!ctx.dm.admit(`${project}/${method}`, nowMs, ctx.options.dataManager.requestsPerMinute)) return resourceExhausted(requestId, 60);
  return undefined;
}

/** `POST /v1/events:ingest`. `fault` is a `refuse-event` or `field-warning` fault picked for this request, if any. */
export function handleIngest(ctx: DataManagerContext, call: IncomingCall, fault?: ActiveFault): Reply {
  const { dm, options } = ctx;
  const requestId = newDmRequestId();
  const refused = authorize(ctx, call, 'ingest', requestId);
  if (refused !== undefined) {
    dm.stats.refused += 1;
    return refused;
  }
  const invalid = (reply: Reply): Reply => { dm.stats.invalid += 1; return reply; };
  if (Buffer.byteLength(call.body) > options.dataManager.maxRequestBytes) return invalid(payloadTooLarge(requestId, options.dataManager.maxRequestBytes));
  const body = tryParseJson(call.body);
  if (!isPlainObject(body)) return invalid(invalidArgument(requestId, [{ reason: 'INVALID_ARGUMENT', field: '', description: 'Invalid JSON payload received.' }]));
  const nowMs = ctx.state.nowMs();
  const rules: RuleContext = {
    operatingAccountIds: options.dataManager.operatingAccountIds,
    loginAccountIds: options.dataManager.loginAccountIds,
    conversionActions: options.dataManager.conversionActions,
    nowMs,
    maxEventAgeMs: options.dataManager.maxEventAgeDays * 86_400_000,
    maxFutureSkewMs: options.dataManager.maxFutureSkewS * 1000,
  };
  const request = checkRequest(body, rules);
  if ('kind' in request) {
    if (request.kind === 'forbidden') {
      return invalid(dmError(403, 'PERMISSION_DENIED', 'The caller does not have permission', { reason: request.reason, requestId }));
    }
    return invalid(invalidArgument(requestId, request.violations));
  }
  const events = body['events'] as unknown[];
  dm.stats.eventsReceived += events.length;
  if (events.length > dm.stats.largestBatch) dm.stats.largestBatch = events.length;
  const violations: DmViolation[] = [];
  const facts: EventFacts[] = [];
  for (const [i, raw] of events.entries()) {
    const checked = checkEvent(raw, i, request, rules, options.dataManager.webConversionActions);
    if ('reason' in checked) violations.push(checked);
    else facts.push(checked);
  }
  if (fault?.kind === 'refuse-event') {
    const index = Math.min(fault.eventIndex ?? 0, events.length - 1);
    violations.push({ reason: 'INVALID_FORMAT', field: `events[${index}].user_data.user_identifiers[0].email_address`, description: 'Injected fault: the value is malformed.' });
  }
  if (violations.length > 0) return invalid(invalidArgument(requestId, violations));

  const warnings = facts.flatMap((fact) => fact.warnings);
  if (fault?.kind === 'field-warning') {
    const index = Math.min(fault.eventIndex ?? 0, events.length - 1);
    warnings.push({ reason: 'WARNING_REASON_INVALID_NUMBER_FORMAT', field: `events[${index}].conversion_value`, description: 'Injected fault: an optional value was ignored.' });
  }
  if (request.validateOnly) {
    dm.stats.validated += events.length;
    return { status: 200, body: { requestId, ...(warnings.length > 0 && { fieldWarnings: warnings }) } };
  }
  const outcomes = request.destinations.map((d): DataManagerDestinationOutcome => ({
    operatingAccountId: d.operatingAccountId, loginAccountId: d.loginAccountId, conversionActionId: d.conversionActionId, reference: d.reference,
    recordCount: 0, errorCounts: {},
  }));
  for (const [i, fact] of facts.entries()) {
    for (const actionId of fact.references) {
      const outcome = outcomes.find((o) => o.conversionActionId === actionId) as DataManagerDestinationOutcome;
      outcome.recordCount += 1;
      const processingError = record(ctx, requestId, outcome, fact, events[i] as Record<string, unknown>, nowMs);
      if (processingError !== undefined) outcome.errorCounts[processingError] = (outcome.errorCounts[processingError] ?? 0) + 1;
    }
  }
  dm.requests.set(requestId, { requestId, receivedAtMs: nowMs, destinations: outcomes });
  return { status: 200, body: { requestId, ...(warnings.length > 0 && { fieldWarnings: warnings }) } };
}

/**
 * Books one event for one destination; returns the asynchronous processing error the diagnostics
 * will report for it, if any (denied consent, a repeated click without transaction id).
 */
function record(ctx: DataManagerContext, requestId: string, outcome: DataManagerDestinationOutcome, fact: EventFacts, event: Record<string, unknown>, nowMs: number): string | undefined {
  const { dm } = ctx;
  if (fact.adUserDataDenied && fact.identifierCount > 0) return 'PROCESSING_ERROR_REASON_DENIED_CONSENT';
  const prefix = `${outcome.operatingAccountId}/${outcome.conversionActionId}/`;
  let restatement = false;
  if (fact.transactionId !== undefined) {
    const key = prefix + fact.transactionId;
    const seen = dm.transactions.get(key) ?? 0;
    restatement = seen > 0;
    dm.transactions.set(key, seen + 1);
  } else if (fact.gclid !== undefined) {
    const key = `${prefix}${fact.gclid}/${fact.timestampMs}`;
    if (dm.clicks.has(key)) return 'PROCESSING_ERROR_REASON_DUPLICATE_GCLID';
    dm.clicks.add(key);
  }
  if (restatement) dm.stats.restatements += 1;
  else dm.stats.accepted += 1;
  if (dm.events.length >= ctx.options.maxRecordedEvents) dm.stats.unrecorded += 1;
  else dm.events.push({ requestId, operatingAccountId: outcome.operatingAccountId, conversionActionId: outcome.conversionActionId, receivedAtMs: nowMs, restatement, event });
  return undefined;
}

/** `GET /v1/requestStatus:retrieve?requestId=…`. */
export function handleRetrieve(ctx: DataManagerContext, call: IncomingCall): Reply {
  const requestId = newDmRequestId();
  const refused = authorize(ctx, call, 'retrieve', requestId);
  if (refused !== undefined) {
    ctx.dm.stats.refused += 1;
    return refused;
  }
  const asked = call.query.get('requestId') ?? '';
  const found = ctx.dm.requests.get(asked);
  if (found === undefined) {
    return dmError(400, 'INVALID_ARGUMENT', 'The request ID used to retrieve the status of a request is not valid.', {
      reason: 'INVALID_REQUEST_ID', violations: [{ reason: 'INVALID_REQUEST_ID', field: 'request_id', description: 'Unknown request id, or a validate_only request.' }], requestId,
    });
  }
  const processing = ctx.state.nowMs() - found.receivedAtMs < ctx.options.dataManager.processingDelayMs;
  const requestStatusPerDestination = found.destinations.map((d) => {
    const failed = Object.values(d.errorCounts).reduce((sum, n) => sum + n, 0);
    const destination = {
      ...(d.reference !== undefined && { reference: d.reference }),
      ...(d.loginAccountId !== undefined && { loginAccount: { accountType: 'GOOGLE_ADS', accountId: d.loginAccountId } }),
      operatingAccount: { accountType: 'GOOGLE_ADS', accountId: d.operatingAccountId },
      productDestinationId: d.conversionActionId,
    };
    if (processing) return { destination, requestStatus: 'PROCESSING', eventsIngestionStatus: { recordCount: String(d.recordCount) } };
    return {
      destination,
      requestStatus: failed === 0 ? 'SUCCESS' : failed >= d.recordCount ? 'FAILED' : 'PARTIAL_SUCCESS',
      ...(failed > 0 && { errorInfo: { errorCounts: Object.entries(d.errorCounts).map(([reason, n]) => ({ recordCount: String(n), reason })) } }),
      eventsIngestionStatus: { recordCount: String(d.recordCount) },
    };
  });
  return { status: 200, body: { requestStatusPerDestination } };
}
