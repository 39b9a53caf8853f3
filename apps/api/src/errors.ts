import type { ContractIssue } from '@capconnect/core';
import { QueueUnavailableError } from '@capconnect/queue';
import type { Logger } from '@capconnect/telemetry';
import type { ErrorRequestHandler, Response } from 'express';

/**
 * Error answers (docs/architecture.md#errors): `{error: "<code>", message, issues?}`. Messages are fixed texts written
 * here or by the core contract, so no submitted value and no stack trace can ever come back.
 */
export type ErrorCode =
  | 'unauthorized'
  | 'signature_replayed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'too_many_events'
  | 'malformed_json'
  | 'invalid_body'
  | 'invalid_event'
  | 'invalid_query'
  | 'no_destination'
  | 'not_found'
  | 'queue_unavailable'
  | 'bad_request'
  | 'internal';

/** An answer other than success, thrown anywhere in a route and rendered by `errorHandler`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: readonly ContractIssue[],
  ) {
    super(message);
  }
}

export function sendError(res: Response, status: number, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error: code, message, ...extra });
}

/** Seconds a client should wait before retrying after a 503 (Redis could not take the write). */
export const RETRY_AFTER_S = 1;

/**
 * The 503 text. A stalled Redis can still run commands already written to its socket once it
 * resumes, so a write this answer gave up on may have been stored after all: the only safe retry is
 * the same body, which carries the same event ids (derived ones included) and is deduplicated
 * (docs/decisions.md#posted-event-ids).
 */
export const UNAVAILABLE_MESSAGE = 'the event store did not confirm the write in time; the events may have been stored; retry with the same body';

export function sendUnavailable(res: Response): void {
  res.setHeader('Retry-After', String(RETRY_AFTER_S));
  sendError(res, 503, 'queue_unavailable', UNAVAILABLE_MESSAGE);
}

/**
 * Errors raised by Express itself (a malformed `%` escape in the path) and by body-parser carry an
 * HTTP client-error status; their messages are never forwarded.
 */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

/**
 * A stack without its first line: the frames locate a bug, while the message line could quote
 * input (JSON.parse messages do).
 */
function framesOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack?.split('\n').slice(1, 8).join('\n') : undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof HttpError) {
      sendError(res, error.status, error.code, error.message, error.issues ? { issues: error.issues } : {});
      return;
    }
    if (error instanceof QueueUnavailableError) {
      sendUnavailable(res);
      return;
    }
    const status = clientErrorStatus(error);
    if (status === 413) {
      sendError(res, 413, 'payload_too_large', 'the request body is larger than the configured limit');
    } else if (status === 415) {
      sendError(res, 415, 'unsupported_media_type', 'the body must be uncompressed, gzip, deflate or brotli JSON in UTF-8');
    } else if (status !== undefined) {
      sendError(res, 400, 'bad_request', 'the request could not be read');
    } else {
      logger.error({ errorName: error instanceof Error ? error.name : typeof error, frames: framesOf(error) }, 'unhandled error');
      sendError(res, 500, 'internal', 'internal error');
    }
  };
}
