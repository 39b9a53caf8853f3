import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiRefusedError, ApiUnavailableError, createSender } from './sender.js';

let server: Server | undefined;
afterEach(async () => { await new Promise((resolve) => { if (server) server.close(resolve); else resolve(undefined); }); server = undefined; });

/** A stand-in api on a free port answering with `answer(request number, request, body)`. */
async function fakeApi(answer: (count: number, request: IncomingMessage, body: string, response: ServerResponse) => void): Promise<string> {
  let count = 0;
  const created = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => { count += 1; answer(count, request, Buffer.concat(chunks).toString('utf8'), response); });
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

const accepted = (response: ServerResponse) => {
  response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [{ index: 0, eventId: 'e1', status: 'queued' }] }));
};

describe('the import sender', () => {
  it('waits out a 503 with Retry-After and sends the same batch again, with token and signature', async () => {
    const seen: { body: string; headers: IncomingMessage['headers'] }[] = [];
    const backoffs: string[] = [];
    const apiUrl = await fakeApi((count, request, body, response) => {
      seen.push({ body, headers: request.headers });
      if (count < 3) response.writeHead(503, { 'retry-after': '0.1', 'content-type': 'application/json' }).end('{"error":"queue_unavailable"}');
      else accepted(response);
    });
    const sender = createSender({ apiUrl, token: 'tok-1234567890abcdef', signingSecret: 'sign-1234567890abcdef', concurrency: 1, giveUpAfterMs: 30_000, onBackoff: (_ms, cause) => backoffs.push(cause) });
    const answer = await sender.send('[{"x":1}]', 1);
    expect(answer.results[0]?.status).toBe('queued');
    expect(seen.map((entry) => entry.body)).toEqual(['[{"x":1}]', '[{"x":1}]', '[{"x":1}]']);
    expect(backoffs).toEqual(['503', '503']);
    expect(seen[2]?.headers['x-capconnect-token']).toBe('tok-1234567890abcdef');
    expect(seen[2]?.headers['x-capconnect-signature']).toMatch(/^t=\d+,v2=[0-9a-f]{64}$/);
  });

  it('stops at once on a refusal, with the status and error code only', async () => {
    const apiUrl = await fakeApi((_count, _request, _body, response) => { response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized","message":"x"}'); });
    const sender = createSender({ apiUrl, token: 'wrong', concurrency: 1, giveUpAfterMs: 30_000 });
    const error = await sender.send('[]', 0).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiRefusedError);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('gives up when nothing answers for the give-up time', async () => {
    const apiUrl = await fakeApi(() => undefined);
    server?.close();
    server = undefined;
    const sender = createSender({ apiUrl, token: 't', concurrency: 1, giveUpAfterMs: 300 });
    await expect(sender.send('[]', 0)).rejects.toBeInstanceOf(ApiUnavailableError);
  });
});
