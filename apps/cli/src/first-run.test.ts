import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo, freeLocalPort } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { localQueueKey } from './local-key.js';
import { findOnPath } from './local-redis.js';
import { KEY_FILE, STATE_FILE, redisAnswers, startCommand, type LocalStackInfo } from './local-stack.js';

const UNREACHABLE = 'redis://127.0.0.1:1';
const mode = (file: string) => statSync(file).mode & 0o777;

describe('the local queue key', () => {
  it('is generated once into a 0600 file, reused by the next run, and the environment wins', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'capconnect-key-')), '.capconnect', 'queue-key.json');
    const first = localQueueKey(file, {});
    expect(first).toMatchObject({ file, created: true });
    expect(mode(file)).toBe(0o600);
    const second = localQueueKey(file, {});
    expect(second).toEqual({ key: first.key, file, created: false });
    chmodSync(file, 0o644);
    localQueueKey(file, {});
    expect(mode(file)).toBe(0o600);
    expect(localQueueKey(file, { QUEUE_ENCRYPTION_KEY: 'from-env' })).toEqual({ key: 'from-env', file: undefined, created: false });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ queueEncryptionKey: first.key });
  });
});

describe('capconnect start on a machine without a running Redis', () => {
  it('keeps today\'s instructions when no redis-server is on PATH', async () => {
    const io = captureIo();
    const cwd = mkdtempSync(join(tmpdir(), 'capconnect-noredis-'));
    expect(await startCommand(io, { PATH: '' }, { cwd, defaultRedisUrl: UNREACHABLE })).toBe(3);
    expect(io.stderr()).toContain(`No Redis answers at ${UNREACHABLE}`);
    expect(io.stderr()).toContain('docker compose up -d redis');
  });

  it.skipIf(findOnPath('redis-server') === undefined)('starts a private redis-server from PATH, says so and where the key is, and stops it', async () => {
    const io = captureIo();
    const cwd = mkdtempSync(join(tmpdir(), 'capconnect-firstrun-'));
    const stop = new AbortController();
    const port = await freeLocalPort();
    const running = startCommand(io, { PATH: process.env.PATH ?? '', PORT: String(port) }, { cwd, defaultRedisUrl: UNREACHABLE, signal: stop.signal });
    let info: LocalStackInfo | undefined;
    try {
      await expect.poll(() => io.stdout(), { timeout: 40_000, interval: 200 }).toContain('Ctrl-C stops everything');
      expect(io.stdout()).toMatch(/No Redis answers at redis:\/\/127\.0\.0\.1:1: started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
      expect(io.stdout()).toContain(`QUEUE_ENCRYPTION_KEY is kept in ${KEY_FILE} (mode 0600)`);
      expect(mode(join(cwd, KEY_FILE))).toBe(0o600);
      info = JSON.parse(readFileSync(join(cwd, STATE_FILE), 'utf8')) as LocalStackInfo;
      const response = await fetch(`${info.apiUrl}/v1/collect?wait=10`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-capconnect-token': info.token },
        body: JSON.stringify({ customer: { email: 'first.run@example.com' }, event: { eventName: 'Purchase', orderId: 'first-run-1', actionSource: 'website', eventSourceUrl: 'https://shop.example.com/t', clientUserAgent: 'Mozilla/5.0' }, destinations: ['meta'] }),
      });
      expect(response.status).toBe(200);
    } finally {
      stop.abort();
    }
    expect(await running).toBe(0);
    const redisUrl = /started a private redis-server at (redis:\/\/127\.0\.0\.1:\d+)/.exec(io.stdout())?.[1];
    expect(redisUrl).toBeDefined();
    expect(await redisAnswers(redisUrl ?? UNREACHABLE, 500)).toBe(false);
  });
});
