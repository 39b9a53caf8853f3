import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLocalPort } from '@capconnect/sandbox';
import { redisAnswers } from './redis-check.js';

/**
 * A private `redis-server` for `capconnect start` when no Redis answers, as `.ci/run` does: bound to
 * 127.0.0.1 on a free port, `noeviction`, and an append-only file under the state directory, so a
 * restart of the local stack finds the jobs the previous run left.
 */
export interface LocalRedis {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** The full path of `name` on `PATH`, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export async function startLocalRedis(binary: string, dataDir: string, timeoutMs = 10_000): Promise<LocalRedis> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const port = await freeLocalPort();
  const url = `redis://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve(); }); });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await redisAnswers(url, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on ${url}`);
    }
    await sleep(100);
  }
  return { url, dataDir, stop };
}
