import { QueueUnavailableError, readEventStatus } from '@capconnect/queue';
import type { RequestHandler } from 'express';
import type { AppDeps } from './deps.js';
import { HttpError, sendError } from './errors.js';
import { noteEvents } from './observe.js';

/** A status read that takes longer than this answers 503, like a write. */
const STATUS_READ_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new QueueUnavailableError('status read timed out')); }, timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => { clearTimeout(timer); });
}

/**
 * `GET /v1/events/:eventId`: per-provider delivery state (queued, sending, sent, retrying,
 * failed, expired) with attempts, next attempt, reason code, provider status and reference.
 * 404 when no provider has a job for the id (never queued, or past retention).
 */
export function eventStatusHandler(deps: AppDeps): RequestHandler<{ eventId: string }> {
  return async (req, res) => {
    const { eventId } = req.params;
    if (eventId.length === 0 || eventId.length > 256 || eventId.trim() === '') {
      throw new HttpError(400, 'bad_request', 'the event id must have 1 to 256 characters');
    }
    noteEvents(res, [eventId]);
    const statuses = await withTimeout(
      (async () => {
        await deps.producer.awaitReady(500);
        return readEventStatus(deps.producer.shards, eventId);
      })(),
      STATUS_READ_TIMEOUT_MS,
    ).catch((error: unknown) => {
      deps.metrics.redisUp.set(0);
      throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError('status read failed', { cause: error });
    });
    if (statuses.length === 0) {
      sendError(res, 404, 'not_found', 'no delivery is known for this event id (never queued, or past its retention)');
      return;
    }
    res.status(200).json({ eventId, destinations: statuses });
  };
}
