import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors.js';
import { rawBodyOf } from './body.js';

/**
 * Authentication of `/v1/*` (docs/architecture.md#authentication):
 * - `x-capconnect-token` must equal one of the `WEBHOOK_SECRET` secrets (several at once, for
 *   rotation). Both sides are reduced to SHA-256 digests (the secrets' once, at start-up) and the
 *   equal-length digests compared with `timingSafeEqual`, against every secret without stopping
 *   early, so neither the secret's content nor its length nor which secret matched shows in the
 *   timing. (A one-shot hash instead of an HMAC object per request: same guarantee, a fraction of
 *   the cost.)
 * - When `WEBHOOK_SIGNING_SECRET` is set, `x-capconnect-signature: t=<unix s>,v1=<hex>` must also
 *   be present, with `v1 = HMAC-SHA256(secret, "<t>.<raw body>")` and `t` within 5 minutes of now.
 * Every failure is the same 401: the answer never says which part was wrong.
 */

export const TOKEN_HEADER = 'x-capconnect-token';
export const SIGNATURE_HEADER = 'x-capconnect-signature';
/** How far a signature's timestamp may be from now, either way (replay protection). */
export const SIGNATURE_TOLERANCE_S = 300;

const UNAUTHORIZED = () => new HttpError(401, 'unauthorized', 'missing or invalid credentials');

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

/** `t=<unix s>,v1=<hex>[,v1=<hex>…]` → the timestamp and every v1 digest, or undefined when malformed. */
export function parseSignatureHeader(header: string): { timestampS: number; digests: Buffer[] } | undefined {
  let timestampS: number | undefined;
  const digests: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return undefined;
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestampS = Number(value);
    else if (name === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) digests.push(Buffer.from(value, 'hex'));
  }
  return timestampS === undefined || digests.length === 0 ? undefined : { timestampS, digests };
}

/** The `v1` value for a body: what a client computes. */
export function signBody(secret: string, timestampS: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestampS}.`, 'utf8').update(body).digest('hex');
}

export function verifySignature(secret: string, header: string | undefined, body: Buffer, nowMs: number): boolean {
  if (header === undefined) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowMs / 1000 - parsed.timestampS) > SIGNATURE_TOLERANCE_S) return false;
  const expected = Buffer.from(signBody(secret, parsed.timestampS, body), 'hex');
  let matched = false;
  for (const digest of parsed.digests) matched = timingSafeEqual(digest, expected) || matched;
  return matched;
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

/** Checks the HMAC signature over the raw body (empty for GET); a no-op without a signing secret. */
export function requireSignature(secret: string | undefined, clock: () => number): RequestHandler {
  return (req, _res, next) => {
    if (secret !== undefined && !verifySignature(secret, headerText(req.headers[SIGNATURE_HEADER]), rawBodyOf(req), clock())) {
      throw UNAUTHORIZED();
    }
    next();
  };
}
