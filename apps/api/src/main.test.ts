import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PROVIDERS } from '@capconnect/core';
import { QUEUE_NAMES, QUEUE_PREFIX, createRedisConnection, jobIdFor } from '@capconnect/queue';
import { freeLocalPort, freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { SECRET, purchase, testEnv } from './test/harness.js';

/**
 * The production entry point, `node apps/api/dist/main.js`, as an operator runs it (built once for
 * the whole run by the test global setup), configured only by environment variables.
 */
const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The entry point has no prefix setting: its jobs land under the production prefix, so remove them by id. */
async function removeJobsOf(eventId: string): Promise<void> {
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  try {
    for (const provider of PROVIDERS) {
      const queue = new Queue(QUEUE_NAMES[provider], { connection, prefix: QUEUE_PREFIX });
      await queue.remove(jobIdFor(provider, eventId));
      await queue.close();
    }
  } finally {
    connection.disconnect();
  }
}

function run(env: Record<string, string>): { child: ChildProcessByStdio<null, Readable, Readable>; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  return { child, output: () => output, exited };
}

describe('node apps/api/dist/main.js', () => {
  it('boots, takes an event, and exits 0 on SIGTERM after a graceful stop', async () => {
    const port = await freeLocalPort();
    const { child, output, exited } = run(testEnv({ PORT: String(port), METRICS_PORT: String(await freeLocalPort()), REDIS_URL: testRedisUrl() }));
    const eventId = `main-${freshPrefix()}`;
    try {
      await expect.poll(() => output().includes('api listening'), { timeout: 15_000 }).toBe(true);
      const res = await fetch(`http://127.0.0.1:${port}/v1/collect`, {
        method: 'POST',
        headers: { 'x-capconnect-token': SECRET, 'content-type': 'application/json' },
        body: JSON.stringify(purchase(eventId, { event: { eventTime: Math.floor(Date.now() / 1000) - 60 } })),
      });
      expect(res.status).toBe(202);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).toContain('"msg":"stopped"');
      expect(output()).not.toContain(SECRET);
    } finally {
      child.kill('SIGKILL');
      await removeJobsOf(eventId);
    }
  });

  it('refuses to start on a bad configuration, listing every problem and no secret', async () => {
    // (A type error such as PORT=eighty is reported alone, before the cross-field checks: see report.)
    const { output, exited } = run({ WEBHOOK_SECRET: 'short-canary', META_ENABLED: 'true' });
    expect(await exited).toBe(1);
    const text = output();
    for (const variable of ['WEBHOOK_SECRET', 'QUEUE_ENCRYPTION_KEY', 'META_PIXEL_ID', 'META_ACCESS_TOKEN']) {
      expect(text).toContain(variable);
    }
    expect(text).not.toContain('short-canary');
  });
});
