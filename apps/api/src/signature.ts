import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Request signatures (`x-capconnect-signature`), apps/api/README.md "Request signing":
 *
 * - `v2` (default): `HMAC-SHA256(secret, "v2\n<t>\n<METHOD>\n<path>\n<canonical query>\n" + <raw body>)`.
 *   It binds the request's method, path and query as well as its body, so a signature made for one
 *   route or query (`/v1/preview`) is worthless on another (`/v1/collect?wait=2`).
 * - `v1` (only with `WEBHOOK_SIGNING_ACCEPT_V1=true`, for senders not yet moved):
 *   `HMAC-SHA256(secret, "<t>." + <raw body>)`: the body only.
 *
 * Header: `t=<unix s>,v2=<hex>` (several `v2`/`v1` values may be listed; one must match). `t` must be
 * within `SIGNATURE_TOLERANCE_S` of the api's clock.
 */

/** How far a signature's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureVersion = 'v1' | 'v2';

export interface ParsedSignature {
  timestampS: number;
  digests: { version: SignatureVersion; value: Buffer }[];
}

/** `t=<unix s>,v2=<hex>[,v1=<hex>…]` → the timestamp and every digest, or undefined when malformed. */
export function parseSignatureHeader(header: string): ParsedSignature | undefined {
  let timestampS: number | undefined;
  const digests: ParsedSignature['digests'] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return undefined;
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestampS = Number(value);
    else if ((name === 'v1' || name === 'v2') && /^[0-9a-fA-F]{64}$/.test(value)) digests.push({ version: name, value: Buffer.from(value, 'hex') });
  }
  return timestampS === undefined || digests.length === 0 ? undefined : { timestampS, digests };
}

/**
 * The canonical form of a query string: `&`-separated pairs, each decoded as a form would be
 * (`+` is a space), re-encoded with RFC 3986 percent-encoding, sorted by name then value, empty
 * pairs dropped. `?b=2&a=1` and `?a=1&b=2` sign the same; `?wait=2` and `?wait=3` do not.
 */
export function canonicalQuery(rawQuery: string): string {
  const pairs = [...new URLSearchParams(rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery)]
    .map(([name, value]) => [encodeURIComponent(name), encodeURIComponent(value)] as const);
  pairs.sort(([nameA, valueA], [nameB, valueB]) => (nameA === nameB ? compare(valueA, valueB) : compare(nameA, nameB)));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** What a v2 signature covers. */
export interface SignedRequest {
  method: string;
  /** The path as sent, without the query: `/v1/collect`. */
  path: string;
  /** The query string as sent, with or without its `?` (empty when there is none). */
  query: string;
  /** The exact body bytes (empty for GET). */
  body: Buffer | string;
}

/** The `v2` value for a request: what a client computes. */
export function signRequestV2(secret: string, timestampS: number, request: SignedRequest): string {
  return createHmac('sha256', secret)
    .update(`v2\n${timestampS}\n${request.method.toUpperCase()}\n${request.path}\n${canonicalQuery(request.query)}\n`, 'utf8')
    .update(request.body)
    .digest('hex');
}

/** The whole `x-capconnect-signature` header value for a request, signed now with v2. */
export function signatureHeaderV2(secret: string, request: SignedRequest, nowMs = Date.now()): string {
  const timestampS = Math.floor(nowMs / 1000);
  return `t=${timestampS},v2=${signRequestV2(secret, timestampS, request)}`;
}

/** The `v1` value for a body (legacy: timestamp and body only). */
export function signBody(secret: string, timestampS: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestampS}.`, 'utf8').update(body).digest('hex');
}

export interface VerifyOptions {
  /** Accept `v1` digests too (`WEBHOOK_SIGNING_ACCEPT_V1`). */
  acceptV1: boolean;
  nowMs: number;
}

/** A signature that matched: its timestamp and digest (the replay ledger's key). */
export interface VerifiedSignature {
  timestampS: number;
  digestHex: string;
}

/**
 * Checks a signature header against a request. Every digest is compared in constant time, and a
 * failure says nothing about which part was wrong.
 */
export function verifySignature(secret: string, header: string | undefined, request: SignedRequest, options: VerifyOptions): VerifiedSignature | undefined {
  if (header === undefined) return undefined;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return undefined;
  if (Math.abs(options.nowMs / 1000 - parsed.timestampS) > SIGNATURE_TOLERANCE_S) return undefined;
  const expected: Record<SignatureVersion, Buffer | undefined> = {
    v2: Buffer.from(signRequestV2(secret, parsed.timestampS, request), 'hex'),
    v1: options.acceptV1 ? Buffer.from(signBody(secret, parsed.timestampS, request.body), 'hex') : undefined,
  };
  let matched: Buffer | undefined;
  for (const digest of parsed.digests) {
    const wanted = expected[digest.version];
    if (wanted !== undefined && timingSafeEqual(digest.value, wanted)) matched ??= wanted;
  }
  return matched === undefined ? undefined : { timestampS: parsed.timestampS, digestHex: matched.toString('hex') };
}
