import { createHmac } from 'node:crypto';

/** What a request signature covers; method and path are part of it so a later scheme can sign them. */
export interface SignatureInput {
  method: string;
  /** The request path with its query string, e.g. `/v1/collect/batch?wait=0`. */
  pathAndQuery: string;
  /** The exact bytes sent. */
  body: string | Buffer;
  /** The api's `WEBHOOK_SIGNING_SECRET`. */
  secret: string;
  /** Unix seconds; the api accepts 5 minutes either way. */
  timestampS: number;
}

/**
 * The `x-capconnect-signature` value for a request, following the api's current rule (apps/api/README.md,
 * "Authentication"): `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The v1 rule covers only
 * the timestamp and the body; method and path are taken already so that switching to a scheme that also
 * signs them changes this one function and nothing that calls it.
 */
export function signRequest(input: SignatureInput): string {
  const digest = createHmac('sha256', input.secret).update(`${input.timestampS}.`, 'utf8').update(input.body).digest('hex');
  return `t=${input.timestampS},v1=${digest}`;
}
