import { captureIo, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

describe('the capconnect command', () => {
  it('runs stats against Redis with --json and exit code 0', async () => {
    const io = captureIo();
    expect(await runCli(['--redis-url', testRedisUrl(), '--prefix', freshPrefix(), 'stats', '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout())).toEqual({
      meta: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
      google: { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 },
    });
  });

  it('exits 3 with a clear message when Redis is unreachable', async () => {
    const io = captureIo();
    expect(await runCli(['--redis-url', 'redis://127.0.0.1:1', 'stats'], io)).toBe(3);
    expect(io.stderr()).toContain('Redis is not reachable');
  });

  it('exits 2 on bad arguments, naming the problem', async () => {
    const io = captureIo();
    expect(await runCli(['failed', 'list', '--provider', 'tiktok'], io)).toBe(2);
    expect(io.stderr()).toContain('expected one of: meta, google');
    expect(await runCli(['no-such-command'], captureIo())).toBe(2);
  });

  it('prints help with exit code 0', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout()).toContain('replay');
  });

  it('replay --dry-run with nothing failed reports zero', async () => {
    const io = captureIo();
    expect(await runCli(['--redis-url', testRedisUrl(), '--prefix', freshPrefix(), 'replay', '--dry-run'], io)).toBe(0);
    expect(io.stdout()).toContain('0 failed job(s) match (dry run: nothing replayed)');
  });
});
