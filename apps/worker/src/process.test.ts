import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createKeyring, generateKeyText } from '@capconnect/core';
import { Producer, createRedisConnection } from '@capconnect/queue';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '@capconnect/sandbox';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metaEvent } from './test/harness.js';

/**
 * Real processes: the built worker (built once per run by the test global setup) in child
 * processes sharing one Redis queue, killed with SIGKILL or stopped with SIGTERM.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./test/child-worker.mjs', import.meta.url));
const keyText = generateKeyText();
let sandbox: Sandbox;
const children: ChildProcess[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
}, 150_000);
afterAll(async () => { await sandbox.close(); });
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  sandbox.control.reset();
});

async function startChild(prefix: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [childScript], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '', TEST_PREFIX: prefix, REDIS_URL: testRedisUrl(), QUEUE_ENCRYPTION_KEY: keyText,
      META_PIXEL_ID: SANDBOX_DEFAULTS.meta.pixelId, META_ACCESS_TOKEN: SANDBOX_DEFAULTS.meta.accessToken, META_API_BASE_URL: sandbox.metaBaseUrl,
      GOOGLE_ENABLED: 'false', METRICS_PORT: '0', LOG_LEVEL: 'warn', RETRY_BASE_DELAY_MS: '50', RETRY_MAX_DELAY_MS: '500',
      BATCH_LINGER_MS: '50', META_BATCH_MAX: '50', SHUTDOWN_TIMEOUT_MS: '10000', ...env,
    },
  });
  children.push(child);
  let output = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('child did not start')); }, 15_000);
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready')) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited early with ${String(code)}`)); });
  });
  return child;
}

function producerFor(prefix: string) {
  const connection = createRedisConnection(testRedisUrl(), 'producer');
  const producer = new Producer({ connection, prefix, keyring: createKeyring(keyText), policy: { maxAttempts: 10, completedRetentionS: 600, failedRetentionS: 600 } });
  return { producer, close: async () => { await producer.close(); connection.disconnect(); } };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('worker processes', () => {
  it('two processes on one queue, one SIGKILLed mid-batch: every event is still delivered', async () => {
    const prefix = freshPrefix();
    const { producer, close } = producerFor(prefix);
    try {
      // Slow answers keep batches in flight when the kill lands.
      sandbox.control.addFault({ provider: 'meta', kind: 'delay', delayMs: 400, ratio: 1, count: 1000 });
      const [victim] = await Promise.all([startChild(prefix), startChild(prefix)]);
      const events = Array.from({ length: 400 }, (_, i) => metaEvent(`kill-${i}`));
      await producer.enqueue(events.map((prepared) => ({ eventId: prepared.event.eventId, prepared: [prepared] })));
      await waitFor(async () => (await producer.queues.meta.getJobCounts('active'))['active']! > 0 && sandbox.control.stats('meta').requests > 0, 10_000);
      victim.kill('SIGKILL');
      await once(victim, 'exit');
      await waitFor(async () => (await producer.queues.meta.getJobCounts('completed'))['completed'] === 400, 30_000);
      const counts = await producer.queues.meta.getJobCounts('failed', 'active', 'waiting', 'delayed');
      expect(counts).toEqual({ failed: 0, active: 0, waiting: 0, delayed: 0 });
      // At-least-once: a re-sent event is dropped by Meta's event_id dedup, so each is accepted once.
      const accepted = sandbox.control.metaEvents().map((event) => event.event.event_id);
      expect(new Set(accepted).size).toBe(400);
      expect(accepted).toHaveLength(400);
      process.stdout.write(`[measure] SIGKILL: ${sandbox.control.stats('meta').deduplicated} events re-sent and deduplicated by Meta\n`);
    } finally {
      await close();
    }
  }, 50_000);

  it('SIGTERM under load: batches flushed, no job left active, exit 0, the rest delivered by the next worker', async () => {
    const prefix = freshPrefix();
    const { producer, close } = producerFor(prefix);
    try {
      sandbox.control.addFault({ provider: 'meta', kind: 'delay', delayMs: 300, ratio: 1, count: 1000 });
      const child = await startChild(prefix);
      const events = Array.from({ length: 300 }, (_, i) => metaEvent(`term-${i}`));
      await producer.enqueue(events.map((prepared) => ({ eventId: prepared.event.eventId, prepared: [prepared] })));
      await waitFor(() => Promise.resolve(sandbox.control.stats('meta').requests > 0), 10_000);
      child.kill('SIGTERM');
      const exit = (await once(child, 'exit')) as unknown[];
      expect(exit[0]).toBe(0);
      const afterStop = await producer.queues.meta.getJobCounts('active', 'completed', 'failed');
      expect(afterStop['active']).toBe(0);
      expect(afterStop['failed']).toBe(0);
      // Every job the stopped worker touched finished; what it never took is still queued.
      expect(afterStop['completed']).toBe(sandbox.control.metaEvents().length);
      await startChild(prefix);
      await waitFor(async () => (await producer.queues.meta.getJobCounts('completed'))['completed'] === 300, 20_000);
      const accepted = sandbox.control.metaEvents().map((event) => event.event.event_id);
      expect(new Set(accepted).size).toBe(300);
      expect(sandbox.control.stats('meta').deduplicated).toBe(0);
    } finally {
      await close();
    }
  }, 45_000);
});
