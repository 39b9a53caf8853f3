import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLocalPort } from '@capconnect/sandbox';
import { Redis } from 'ioredis';

/** Options for a private `redis-server` child process. */
export interface PrivateRedisOptions {
  /**
   * Append-only persistence: `'no'` (no AOF at all), `'everysec'` or `'always'`.
   * @defaultValue `'no'`
   */
  appendfsync?: 'no' | 'everysec' | 'always';
  /**
   * Redis `maxmemory` in bytes; 0 means unlimited.
   * @defaultValue 0
   */
  maxMemoryBytes?: number;
  /**
   * Redis `maxmemory-policy`; BullMQ requires `noeviction`.
   * @defaultValue `'noeviction'`
   */
  maxMemoryPolicy?: string;
}

/**
 * A Redis server owned by one test: it can be stopped, killed and started again on the same port
 * and data directory, which the shared server must never be.
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Starts the server (again); resolves when it answers PING. */
  start(): Promise<void>;
  /** SHUTDOWN NOSAVE through SIGTERM; resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL: no chance to flush anything that is not already on disk. */
  kill(): Promise<void>;
  /** SIGSTOP: the server stalls with its sockets open; commands already sent run on `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

/** Resolves once a Redis at `url` answers PING, or rejects after `timeoutMs`. */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer within ${timeoutMs} ms`, { cause: error });
      await sleep(50);
    } finally {
      client.disconnect();
    }
  }
}

/** Starts a private `redis-server` on a free loopback port (the binary must be on PATH). */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freeLocalPort();
  const dataDir = mkdtempSync(join(tmpdir(), 'capconnect-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '',
    '--maxmemory-policy', options.maxMemoryPolicy ?? 'noeviction',
    '--maxmemory', String(options.maxMemoryBytes ?? 0),
    ...(options.appendfsync && options.appendfsync !== 'no'
      ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync]
      : ['--appendonly', 'no']),
  ];
  let child: ChildProcess | undefined;

  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once('exit', () => { resolve(); }));

  const handle: PrivateRedis = {
    url,
    port,
    dataDir,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await waitForRedis(url);
    },
    async stop() {
      if (!child) return;
      const proc = child;
      // A paused process would not act on SIGTERM until continued.
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      await exited(proc);
    },
    async kill() {
      if (!child) return;
      const proc = child;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async dispose() {
      await handle.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
