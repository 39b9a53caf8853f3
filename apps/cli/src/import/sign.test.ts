import { signRequestV2 } from '@capconnect/api';
import { describe, expect, it } from 'vitest';
import { signRequest } from './sign.js';

describe('signRequest', () => {
  it('follows the api\'s v2 rule: HMAC over method, path, query, timestamp and body', () => {
    const body = '[{"event":{"eventName":"Purchase"}}]';
    const secret = 'a-signing-secret-of-some-length';
    const header = signRequest({ method: 'POST', pathAndQuery: '/v1/collect/batch?wait=0', body, secret, timestampS: 1_800_000_000 });
    expect(header).toBe(`t=1800000000,v2=${signRequestV2(secret, 1_800_000_000, { method: 'POST', path: '/v1/collect/batch', query: 'wait=0', body })}`);
    const others = [
      signRequest({ method: 'POST', pathAndQuery: '/v1/collect/batch?wait=0', body: `${body} `, secret, timestampS: 1_800_000_000 }),
      signRequest({ method: 'POST', pathAndQuery: '/v1/collect/batch', body, secret, timestampS: 1_800_000_000 }),
      signRequest({ method: 'POST', pathAndQuery: '/v1/preview?wait=0', body, secret, timestampS: 1_800_000_000 }),
    ];
    for (const other of others) expect(other).not.toBe(header);
  });
});
