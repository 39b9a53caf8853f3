import type { Provider, Skip } from '@capconnect/core';
import { readStatuses, waitForOutcomes, type DeliveryStatus, type DeliveryTarget, type OutcomeEvents, type ProviderQueues } from '@capconnect/queue';
import type { Logger } from '@capconnect/telemetry';
import type { Request, Response } from 'express';
import { HttpError } from './errors.js';

/**
 * `?wait=<seconds>` (docs/architecture.md#waiting-for-outcomes): after the events are stored, wait for the providers' outcomes and
 * answer in the synchronous form. The wait never changes whether an event was stored: if Redis
 * stops answering mid-wait, the answer is the 202 with what is known.
 */

/** Longest accepted `?wait=`, in seconds: past it a client should poll `GET /v1/events/:eventId`. */
export const MAX_WAIT_S = 30;

/** The wait in ms, undefined without `?wait=` (or `?wait=0`); 400 when it is not a number in range. */
export function waitMsOf(req: Request): number | undefined {
  // No query string, no wait: skips parsing an empty query on every ingest request.
  if (!req.url.includes('?')) return undefined;
  const raw: unknown = (req.query as Record<string, unknown>).wait;
  if (raw === undefined) return undefined;
  const seconds = typeof raw === 'string' && /^\d{1,3}(\.\d{1,3})?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_WAIT_S) {
    throw new HttpError(400, 'invalid_query', `wait must be a number of seconds between 0 and ${MAX_WAIT_S}`);
  }
  return seconds === 0 ? undefined : Math.round(seconds * 1000);
}

/** One provider's line in the synchronous answer. */
export interface SyncResult {
  provider: Provider;
  /** A delivery state, or `skipped` for a provider that cannot take the event. */
  status: DeliveryStatus['state'] | 'skipped';
  httpStatus: number | null;
  /** Reason code of a failure or a skip; null otherwise. */
  detail: string | null;
  /** Meta `fbtrace_id` / Google request id. */
  reference: string | null;
  attempts: number;
  nextAttemptAt?: number;
}

export interface SyncAnswer {
  eventId: string;
  accepted: boolean;
  results: SyncResult[];
}

function syncResult(target: DeliveryTarget, status: DeliveryStatus | undefined): SyncResult {
  return {
    provider: target.provider,
    status: status?.state ?? 'queued',
    httpStatus: status?.httpStatus ?? null,
    detail: status?.reason ?? null,
    reference: status?.reference ?? null,
    attempts: status?.attempts ?? 0,
    ...(status?.nextAttemptAt !== undefined && { nextAttemptAt: status.nextAttemptAt }),
  };
}

export function syncAnswer(eventId: string, targets: readonly DeliveryTarget[], statuses: readonly (DeliveryStatus | undefined)[], skipped: readonly Skip[]): SyncAnswer {
  const results = [
    ...targets.map((target, index) => syncResult(target, statuses[index])),
    ...skipped.map((skip): SyncResult => ({ provider: skip.provider, status: 'skipped', httpStatus: null, detail: skip.reason, reference: null, attempts: 0 })),
  ];
  return { eventId, accepted: results.some((result) => result.status === 'sent'), results };
}

/**
 * Bounds the requests waiting at once (`WAIT_MAX_CONCURRENT`): each holds a socket, timers and a
 * share of the safety polls, so an unbounded number of `?wait=` requests is a cheap way to load
 * Redis and the process. A request over the bound is answered at once with the current state.
 */
export interface WaitGate {
  tryEnter(): boolean;
  leave(): void;
  /** Waits running now. */
  readonly active: number;
  /** Waits refused since start. */
  readonly refused: number;
}

export function createWaitGate(maxConcurrent: number): WaitGate {
  let active = 0;
  let refused = 0;
  return {
    tryEnter() {
      if (active >= maxConcurrent) {
        refused += 1;
        return false;
      }
      active += 1;
      return true;
    },
    leave() { active = Math.max(0, active - 1); },
    get active() { return active; },
    get refused() { return refused; },
  };
}

/** Says in the answer that a `?wait=` was not granted (over `WAIT_MAX_CONCURRENT`). */
export const WAIT_HEADER = 'x-capconnect-wait';

export interface WaitContext {
  queues: ProviderQueues;
  gate: WaitGate;
  events?: OutcomeEvents | undefined;
  logger: Logger;
}

export interface Waited {
  statuses: (DeliveryStatus | undefined)[];
  complete: boolean;
  /** False when the wait was refused (too many waiting requests): the statuses are a single read. */
  granted: boolean;
}

/** Waits for the outcomes of `targets`; ends early when the client hangs up. Never throws. */
export async function awaitOutcomes(context: WaitContext, targets: readonly DeliveryTarget[], waitMs: number, res: Response): Promise<Waited> {
  const unknown = () => targets.map(() => undefined);
  if (!context.gate.tryEnter()) {
    res.setHeader(WAIT_HEADER, 'not-granted');
    const statuses = await readStatuses(context.queues, targets).catch(unknown);
    return { statuses, complete: false, granted: false };
  }
  const hangUp = new AbortController();
  const onClose = () => { hangUp.abort(); };
  res.once('close', onClose);
  try {
    const waited = await waitForOutcomes(context.queues, targets, { timeoutMs: waitMs, signal: hangUp.signal, ...(context.events && { events: context.events }) });
    return { ...waited, granted: true };
  } catch (error) {
    context.logger.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'wait for outcomes ended early: status read failed');
    return { statuses: unknown(), complete: false, granted: true };
  } finally {
    res.off('close', onClose);
    context.gate.leave();
  }
}

/**
 * 200 when a provider accepted, 422 when all settled and none did, 202 when the time ran out or
 * the wait was not granted (then the answer is the state at arrival, whatever it says).
 */
export function syncHttpStatus(answer: SyncAnswer, waited: Pick<Waited, 'complete' | 'granted'>): number {
  if (!waited.granted) return 202;
  if (answer.accepted) return 200;
  return waited.complete ? 422 : 202;
}
