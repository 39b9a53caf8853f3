import { connect, type Socket } from 'node:net';
import { loadConfig } from '@capconnect/config';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { freshPrefix } from '@capconnect/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './server.js';
import { testEnv } from './test/harness.js';

/**
 * The public server against slow and numerous clients, and what it exposes by default. Assertions
 * are on socket states and log lines; the timeouts are set short so the test does not wait long,
 * but nothing asserts how long anything took.
 */

const cleanups: (() => unknown)[] = [];
afterEach(async () => { for (const cleanup of cleanups.splice(0).reverse()) await cleanup(); });

async function boot(env: Record<string, string> = {}): Promise<{ server: ApiServer; lines: string[]; url: string }> {
  const destination = memoryDestination();
  const config = loadConfig(testEnv(env), { service: 'api' });
  const server = await startApiServer(config, { logger: createLogger({ service: 'api', destination }), host: '127.0.0.1', prefix: freshPrefix() });
  cleanups.push(() => server.close());
  return { server, lines: destination.lines, url: `http://127.0.0.1:${server.port}` };
}

interface TrackedSocket { socket: Socket; closed: boolean; received: string }

function open(port: number): Promise<TrackedSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const tracked: TrackedSocket = { socket, closed: false, received: '' };
    socket.on('data', (chunk: Buffer) => { tracked.received += chunk.toString('latin1'); });
    socket.on('close', () => { tracked.closed = true; });
    socket.on('error', () => undefined);
    socket.once('connect', () => { resolve(tracked); });
    socket.once('error', reject);
    cleanups.push(() => { socket.destroy(); });
  });
}

describe('public server limits', () => {
  it('closes connections that trickle their headers past HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { server } = await boot({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(server.port)));
    for (const { socket } of sockets) socket.write('POST /v1/collect HTTP/1.1\r\nHost: x\r\n');
    // One more header line now and then, never the blank line that ends the headers.
    const trickle = setInterval(() => { for (const { socket, closed } of sockets) if (!closed) socket.write('x-slow: 1\r\n'); }, 100);
    cleanups.push(() => { clearInterval(trickle); });
    await expect.poll(() => sockets.filter((tracked) => tracked.closed).length, { timeout: 15_000 }).toBe(20);
    expect(sockets.every((tracked) => tracked.received === '' || tracked.received.startsWith('HTTP/1.1 408'))).toBe(true);
  });

  it('closes connections beyond HTTP_MAX_CONNECTIONS as they arrive and keeps the others', async () => {
    const { server } = await boot({ HTTP_MAX_CONNECTIONS: '3' });
    const kept = await Promise.all(Array.from({ length: 3 }, () => open(server.port)));
    const extra = await Promise.all(Array.from({ length: 5 }, () => open(server.port)));
    await expect.poll(() => extra.filter((tracked) => tracked.closed).length, { timeout: 10_000 }).toBe(5);
    expect(kept.filter((tracked) => tracked.closed)).toHaveLength(0);
    // The kept connections still serve.
    const [first] = kept;
    first?.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect.poll(() => first?.received ?? '', { timeout: 10_000 }).toMatch(/^HTTP\/1\.1 200/);
  });

  it('binds the metrics port to loopback by default and does not warn about a reachable Redis', async () => {
    const { server, lines, url } = await boot();
    expect(server.metricsAddress).toBe('127.0.0.1');
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { timeout: 5000 }).toBe(200);
    await expect.poll(() => lines.some((line) => line.includes('redis connection ready')), { timeout: 5000 }).toBe(true);
    expect(lines.filter((line) => line.includes('not reachable'))).toEqual([]);
  });
});
