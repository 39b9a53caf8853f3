import { signRequestV2 } from '@capconnect/api';

/** What a request signature covers. */
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
 * The `x-capconnect-signature` value for a request, with the api's v2 rule (apps/api/README.md,
 * "Request signing"): `t=<unix s>,v2=<hex>`, an HMAC over method, path, canonical query, timestamp
 * and body, computed by the api's own function so client and server cannot drift apart.
 */
export function signRequest(input: SignatureInput): string {
  const mark = input.pathAndQuery.indexOf('?');
  const path = mark < 0 ? input.pathAndQuery : input.pathAndQuery.slice(0, mark);
  const query = mark < 0 ? '' : input.pathAndQuery.slice(mark + 1);
  const digest = signRequestV2(input.secret, input.timestampS, { method: input.method, path, query, body: input.body });
  return `t=${input.timestampS},v2=${digest}`;
}
