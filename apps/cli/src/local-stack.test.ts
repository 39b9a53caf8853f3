import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureIo, freeLocalPort, type PrivateRedis, startPrivateRedis } from '@capconnect/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import type { LocalStackInfo } from './local-stack.js';

// These tests run the built services (pnpm test builds first), each against its own Redis.
const cliMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let redis: PrivateRedis;
beforeAll(async () => { redis = await startPrivateRedis(); });
afterAll(async () => { await redis.dispose(); });

describe('capconnect start (pnpm start)', () => {
  it('runs api, worker and sandbox, prints a banner with a working curl, and stops cleanly on Ctrl-C', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'capconnect-start-'));
    const port = await freeLocalPort();
    const child = spawn(process.execPath, [cliMain, 'start'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: redis.url, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
    try {
      await expect.poll(() => stdout, { timeout: 30_000, interval: 200 }).toContain('Ctrl-C stops everything');
      expect(stdout).toContain('events go to the local SANDBOX');
      expect(stdout).toContain(`http://127.0.0.1:${port}`);
      const info = JSON.parse(readFileSync(join(cwd, '.capconnect/local-stack.json'), 'utf8')) as LocalStackInfo;
      const response = await fetch(`${info.apiUrl}/v1/collect?wait=10`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-capconnect-token': info.token },
        body: JSON.stringify({
          customer: { email: 'john.doe@example.com', phone: '090-1234-5678', country: 'JP' },
          event: { eventName: 'Purchase', orderId: 'start-test-1', actionSource: 'website', eventSourceUrl: 'https://shop.example.com/t', clientUserAgent: 'Mozilla/5.0', gclid: 'Cj0KCQ-start' },
        }),
      });
      const answer = await response.json() as { accepted: boolean; results: { provider: string; status: string }[] };
      expect(response.status).toBe(200);
      expect(answer.results).toEqual(expect.arrayContaining([
        expect.objectContaining({ provider: 'meta', status: 'sent' }),
        expect.objectContaining({ provider: 'google', status: 'sent' }),
      ]));

      // The demo finds the running stack through the state file.
      const io = captureIo();
      const previous = process.cwd();
      process.chdir(cwd);
      try {
        expect(await runCli(['demo', '--timeout', '15'], io, { REDIS_URL: redis.url })).toBe(0);
      } finally {
        process.chdir(previous);
      }
      expect(io.stdout()).toContain(`using the running local stack at ${info.apiUrl}`);
      expect(io.stdout()).toMatch(/JP purchase \(website\)\s+202\s+sent\s+sent/);
      expect(io.stdout()).toMatch(/stale event \(8 days old\)\s+202\s+skipped: event_too_old\s+sent/);
      expect(io.stdout()).toContain('→ duplicate');
      expect(io.stdout()).toMatch(/invalid: event 1 day in the future\s+400/);
      expect(io.stdout()).toMatch(/meta\s+\d+\s+\d+/);
      expect(io.stdout()).toContain('delivery latency');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped');
    expect(existsSync(join(cwd, '.capconnect/local-stack.json'))).toBe(false);
  });

  it('fails at once, saying how to start Redis, when none answers', async () => {
    const io = captureIo();
    const started = Date.now();
    expect(await runCli(['start'], io, { REDIS_URL: 'redis://127.0.0.1:1' })).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(io.stderr()).toContain('No Redis answers at redis://127.0.0.1:1');
    expect(io.stderr()).toContain('redis-server');
    expect(io.stderr()).toContain('docker compose up -d redis');
  });
});
