import type { Provider, Skip } from '@capconnect/core';
import { waitForOutcomes, type DeliveryStatus, type DeliveryTarget, type ProviderQueues } from '@capconnect/queue';
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

/** Waits for the outcomes of `targets`; ends early when the client hangs up. Never throws. */
export async function awaitOutcomes(
  queues: ProviderQueues,
  targets: readonly DeliveryTarget[],
  waitMs: number,
  res: Response,
  logger: Logger,
): Promise<{ statuses: (DeliveryStatus | undefined)[]; complete: boolean }> {
  const hangUp = new AbortController();
  const onClose = () => { hangUp.abort(); };
  res.once('close', onClose);
  try {
    return await waitForOutcomes(queues, targets, { timeoutMs: waitMs, signal: hangUp.signal });
  } catch (error) {
    logger.warn({ errorName: error instanceof Error ? error.name : typeof error }, 'wait for outcomes ended early: status read failed');
    return { statuses: targets.map(() => undefined), complete: false };
  } finally {
    res.off('close', onClose);
  }
}

/** 200 when a provider accepted, 422 when all settled and none did, 202 when the time ran out. */
export function syncHttpStatus(answer: SyncAnswer, complete: boolean): number {
  if (answer.accepted) return 200;
  return complete ? 422 : 202;
}
