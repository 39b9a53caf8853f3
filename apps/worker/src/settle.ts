import type { Provider } from '@capconnect/core';
import { ConfigurationError, PermanentError, TransientError, errorCode, type EventResult } from '@capconnect/providers';
import { backoffDelayMs, formatFailure, type BackoffPolicy, type DeliveryOutcome } from '@capconnect/queue';
import type { Metrics } from '@capconnect/telemetry';
import { DelayedError, RateLimitError, UnrecoverableError, type Job } from 'bullmq';

/**
 * What BullMQ does with a job once its event has a result (docs/architecture.md#outcomes):
 *
 * | result | BullMQ | attempt spent? |
 * |---|---|---|
 * | sent | completes with a `DeliveryOutcome` | — |
 * | `PermanentError` (incl. `expired`) | `UnrecoverableError` → failed at once, reason `code\|status\|reference` | — |
 * | `TransientError` | throws `RetryableError` → retried after `backoffStrategy` (full jitter, Retry-After honoured) | yes |
 * | `TransientError` rate-limited (429, Meta 4/17/613, Google quota) | `queue.rateLimit(ms)` + `RateLimitError` → back to wait, the whole queue pauses | no |
 * | `TransientError` scheduled (Google TOO_RECENT_*) | `moveToDelayed(now + 6 h)` + `DelayedError` | no |
 * | `ConfigurationError` (revoked token, terms) | provider blocked; `moveToDelayed(now + blockedRetryMs)` + `DelayedError` | no |
 *
 * Waits that spend no attempt are bounded by the event's expiry: a wait that would end after it
 * fails the event with `expired` instead. Failure messages are codes only (`formatFailure`).
 */

/** A transient failure for BullMQ to retry; the backoff strategy reads `retryAfterMs` from it. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(message: string, readonly retryAfterMs: number | undefined) {
    super(message);
  }
}

/** Tracks account/configuration blocks per provider and mirrors them in `capconnect_provider_blocked`. */
export class ProviderBlock {
  private readonly blocked = new Set<Provider>();
  constructor(private readonly metrics: Metrics) {}
  set(provider: Provider, isBlocked: boolean): void {
    if (isBlocked === this.blocked.has(provider)) return;
    if (isBlocked) this.blocked.add(provider);
    else this.blocked.delete(provider);
    this.metrics.providerBlocked.set({ provider }, isBlocked ? 1 : 0);
  }
  has(provider: Provider): boolean {
    return this.blocked.has(provider);
  }
}

export interface SettleContext {
  provider: Provider;
  metrics: Metrics;
  block: ProviderBlock;
  backoff: BackoffPolicy;
  /** How long a job waits while its provider is blocked by a configuration error, in ms. */
  blockedRetryMs: number;
  /** Slows the whole queue (BullMQ `queue.rateLimit`). */
  rateLimit: (ms: number) => Promise<void>;
  nowMs: () => number;
}

type DeliveryJob = Job<unknown, DeliveryOutcome>;

function fail(context: SettleContext, code: string, httpStatus?: number, reference?: string): never {
  context.metrics.dispatchEvents.inc({ provider: context.provider, outcome: code === 'expired' ? 'expired' : 'failed' });
  throw new UnrecoverableError(formatFailure({ code, ...(httpStatus !== undefined && { httpStatus }), ...(reference !== undefined && { reference }) }));
}

/** Parks a job until `untilMs` without spending an attempt, or expires it if that is too late. */
async function park(job: DeliveryJob, token: string | undefined, context: SettleContext, untilMs: number, expiresAtMs: number): Promise<never> {
  if (untilMs > expiresAtMs) fail(context, 'expired');
  context.metrics.dispatchEvents.inc({ provider: context.provider, outcome: 'retried' });
  await job.moveToDelayed(untilMs, token);
  throw new DelayedError();
}

/** The per-event success metrics, bound to their labels once per context (prom-client hashes labels on every call otherwise). */
const sentMetrics = new WeakMap<SettleContext, { sent: { inc(): void }; latency: { observe(value: number): void } }>();

function sentMetricsOf(context: SettleContext) {
  let bound = sentMetrics.get(context);
  if (!bound) {
    bound = {
      sent: context.metrics.dispatchEvents.labels({ provider: context.provider, outcome: 'sent' }),
      latency: context.metrics.deliveryLatency.labels({ provider: context.provider }),
    };
    sentMetrics.set(context, bound);
  }
  return bound;
}

/** A delivered event: its outcome (kept as the job's return value) and its metrics. Synchronous. */
export function settleSent(job: DeliveryJob, result: Extract<EventResult, { kind: 'sent' }>, ingestedAt: number, context: SettleContext): DeliveryOutcome {
  const now = context.nowMs();
  context.block.set(context.provider, false);
  const bound = sentMetricsOf(context);
  bound.sent.inc();
  bound.latency.observe(Math.max(0, now - ingestedAt) / 1000);
  const outcome: DeliveryOutcome = { status: 'sent', httpStatus: result.httpStatus, attempts: job.attemptsMade + 1, batchSize: result.batchSize, sentAt: now };
  if (result.reference !== undefined) outcome.reference = result.reference;
  if (result.validateOnly === true) outcome.validateOnly = true;
  if (result.warnings !== undefined && result.warnings.length > 0) outcome.warnings = result.warnings;
  return outcome;
}

export async function settle(job: DeliveryJob, token: string | undefined, result: EventResult, ingestedAt: number, expiresAtMs: number, context: SettleContext): Promise<DeliveryOutcome> {
  if (result.kind === 'sent') return settleSent(job, result, ingestedAt, context);
  const { provider, metrics } = context;
  const now = context.nowMs();
  const { error } = result;
  const code = errorCode(error);
  if (code !== 'expired') metrics.recordProviderError(provider, code);

  if (error instanceof PermanentError) fail(context, code, error.httpStatus, error.reference);

  if (error instanceof ConfigurationError) {
    context.block.set(provider, true);
    return park(job, token, context, now + context.blockedRetryMs, expiresAtMs);
  }

  // A transient error proves the account works again (a request got through to a non-auth error).
  if (error.httpStatus !== undefined) context.block.set(provider, false);
  if (error.scheduled && error.retryAfterMs !== undefined) return park(job, token, context, now + error.retryAfterMs, expiresAtMs);

  if (error.rateLimited) {
    const waitMs = error.retryAfterMs ?? backoffDelayMs(job.attemptsStarted, context.backoff);
    if (now + waitMs > expiresAtMs) fail(context, 'expired');
    metrics.dispatchEvents.inc({ provider, outcome: 'retried' });
    await context.rateLimit(waitMs);
    // Keep the default message: BullMQ recognises a rate-limit by it (docs/platforms.md#bullmq-and-redis).
    throw new RateLimitError();
  }

  const attempts = job.opts.attempts ?? 1;
  const message = formatFailure({ code, ...(error.httpStatus !== undefined && { httpStatus: error.httpStatus }), ...(error.reference !== undefined && { reference: error.reference }) });
  if (job.attemptsMade + 1 >= attempts) {
    metrics.dispatchEvents.inc({ provider, outcome: 'failed' });
    throw new UnrecoverableError(message);
  }
  metrics.dispatchEvents.inc({ provider, outcome: 'retried' });
  throw new RetryableError(message, error instanceof TransientError ? error.retryAfterMs : undefined);
}
