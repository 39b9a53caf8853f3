import { signBody } from '@capconnect/api';
import { describe, expect, it } from 'vitest';
import { signRequest } from './sign.js';

describe('signRequest', () => {
  it('follows the api\'s v1 rule: HMAC over "<t>.<body>", whatever the method and path', () => {
    const body = '[{"event":{"eventName":"Purchase"}}]';
    const secret = 'a-signing-secret-of-some-length';
    const header = signRequest({ method: 'POST', pathAndQuery: '/v1/collect/batch', body, secret, timestampS: 1_800_000_000 });
    expect(header).toBe(`t=1800000000,v1=${signBody(secret, 1_800_000_000, body)}`);
    expect(signRequest({ method: 'POST', pathAndQuery: '/v1/collect/batch', body: `${body} `, secret, timestampS: 1_800_000_000 })).not.toBe(header);
  });
});
