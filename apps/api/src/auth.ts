import { hash, timingSafeEqual } from 'node:crypto';
import { QueueUnavailableError } from '@capconnect/queue';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors.js';
import { rawBodyOf } from './body.js';
import type { SignatureLedger } from './replay.js';
import { SIGNATURE_TOLERANCE_S, verifySignature } from './signature.js';

/**
 * Authentication of `/v1/*` (docs/architecture.md#authentication):
 * - `x-capconnect-token` must equal one of the `WEBHOOK_SECRET` secrets (several at once, for
 *   rotation). Both sides are reduced to SHA-256 digests (the secrets' once, at start-up) and the
 *   equal-length digests compared with `timingSafeEqual`, against every secret without stopping
 *   early, so neither the secret's content nor its length nor which secret matched shows in the
 *   timing. (A one-shot hash instead of an HMAC object per request: same guarantee, a fraction of
 *   the cost.)
 * - When `WEBHOOK_SIGNING_SECRET` is set, `x-capconnect-signature` must also carry a valid
 *   signature (signature.ts: v2 over method, path, query, timestamp and body; v1 only when allowed)
 *   that was not used before by a request answered 2xx (replay.ts).
 * Every failure is the same 401: the answer never says which part was wrong.
 */

export const TOKEN_HEADER = 'x-capconnect-token';
export const SIGNATURE_HEADER = 'x-capconnect-signature';
const UNAUTHORIZED = () => new HttpError(401, 'unauthorized', 'missing or invalid credentials');
/**
 * A valid signature already answered 2xx. Its own code tells an honest sender that sent the same
 * request twice within one second (same timestamp, same body) to sign it again; it tells a replayer
 * nothing new, since only a valid signature gets this far.
 */
const REPLAYED = () => new HttpError(401, 'signature_replayed', 'this signed request was already answered; sign it again with a new timestamp');

export interface TokenVerifier {
  (presented: string | undefined): boolean;
}

export function createTokenVerifier(secrets: readonly string[]): TokenVerifier {
  const digest = (value: string) => hash('sha256', value, 'buffer');
  const expected = secrets.map(digest);
  return (presented) => {
    if (presented === undefined || expected.length === 0) return false;
    const candidate = digest(presented);
    let matched = false;
    for (const secret of expected) matched = timingSafeEqual(candidate, secret) || matched;
    return matched;
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Checks the shared secret before the body is read, so an unauthenticated body costs nothing. */
export function requireToken(verify: TokenVerifier): RequestHandler {
  return (req, _res, next) => {
    if (!verify(headerText(req.headers[TOKEN_HEADER]))) throw UNAUTHORIZED();
    next();
  };
}

export interface SignatureRules {
  secret: string | undefined;
  /** `WEBHOOK_SIGNING_ACCEPT_V1`. */
  acceptV1: boolean;
  ledger: SignatureLedger;
  clock: () => number;
}

/** The path and the query string exactly as the client sent them. */
function pathAndQuery(req: Request): { path: string; query: string } {
  const target = req.originalUrl;
  const mark = target.indexOf('?');
  return mark < 0 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/**
 * Checks the request signature over method, path, query and raw body (empty for GET), then claims
 * it in the ledger: a signature already claimed is a replay (401). The claim is released when the
 * answer is not 2xx, so the same signed request may be retried. A no-op without a signing secret.
 */
export function requireSignature(rules: SignatureRules): RequestHandler {
  const { secret } = rules;
  // Without a signing secret the step is a plain pass-through (no promise per request).
  if (secret === undefined) return (_req, _res, next) => { next(); };
  return async (req, res, next) => {
    const { path, query } = pathAndQuery(req);
    const verified = verifySignature(secret, headerText(req.headers[SIGNATURE_HEADER]), {
      method: req.method, path, query, body: rawBodyOf(req),
    }, { acceptV1: rules.acceptV1, nowMs: rules.clock() });
    if (!verified) throw UNAUTHORIZED();
    // Kept until the signature's own window closes (on our clock), after which the timestamp check refuses it anyway.
    const ttlMs = Math.max(1000, (verified.timestampS + SIGNATURE_TOLERANCE_S + 1) * 1000 - rules.clock());
    let claimed: boolean;
    try {
      claimed = await rules.ledger.claim(verified.digestHex, ttlMs);
    } catch (error) {
      throw new QueueUnavailableError('signature ledger unavailable', { cause: error });
    }
    if (!claimed) throw REPLAYED();
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const answered2xx = res.writableFinished && res.statusCode >= 200 && res.statusCode < 300;
      if (!answered2xx) void rules.ledger.release(verified.digestHex);
    };
    res.once('finish', settle);
    res.once('close', settle);
    next();
  };
}
