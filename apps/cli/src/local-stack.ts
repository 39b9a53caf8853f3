import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { EXIT, writeLine, type Io } from './output.js';
import { startStack, type Stack } from './stack.js';

/**
 * `capconnect start` (`pnpm start`): the whole pipeline on this machine. With no provider
 * credentials in the environment, events go to the sandbox Meta/Google servers, and a banner says
 * so. The connection details are written to `.capconnect/local-stack.json` (mode 0600) so
 * `capconnect demo` can find the running stack.
 */

export interface LocalStackInfo {
  apiUrl: string;
  token: string;
  apiMetricsUrl: string;
  workerMetricsUrls: string[];
  /** The sandbox's control API, when the stack delivers to the sandbox. */
  sandboxUrl?: string;
  pid: number;
}

export const STATE_DIR = '.capconnect';
export const STATE_FILE = join(STATE_DIR, 'local-stack.json');

export function readLocalStack(cwd: string): LocalStackInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(cwd, STATE_FILE), 'utf8')) as LocalStackInfo;
  } catch {
    return undefined;
  }
}

/** True when the environment names real provider credentials: then the sandbox is not used. */
export function hasProviderCredentials(env: NodeJS.ProcessEnv): boolean {
  return ['META_PIXEL_ID', 'META_ACCESS_TOKEN', 'GOOGLE_CUSTOMER_ID', 'GOOGLE_DEVELOPER_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS'].some((name) => (env[name] ?? '') !== '');
}

/** Resolves when Redis at `url` answers PING within `timeoutMs`, false otherwise. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function redisHelp(url: string): string {
  return [
    `No Redis answers at ${url}.`,
    'Start one, then run this again:',
    '  redis-server                     # a local Redis on 127.0.0.1:6379',
    '  docker compose up -d redis       # or the one from docker-compose.yml',
    'or point REDIS_URL at a Redis you already have.',
  ].join('\n');
}

function banner(stack: Stack, sandbox: boolean): string {
  const lines = [
    '',
    'CapConnect local stack is running',
    `  api          ${stack.apiUrl}   (token: ${stack.webhookSecret})`,
    `  api metrics  ${stack.api.metricsUrl}`,
    ...stack.workers.map((worker) => `  ${worker.name.padEnd(12)} ${worker.metricsUrl}`),
  ];
  if (sandbox && stack.sandbox) {
    lines.push(
      `  sandbox      ${stack.sandbox.url}/__control/state`,
      '',
      '  No provider credentials are configured: events go to the local SANDBOX Meta and Google',
      '  servers, not to the real platforms.',
    );
  }
  lines.push(
    '  QUEUE_ENCRYPTION_KEY was generated for this run only: jobs left in Redis by an earlier local',
    '  run cannot be opened by it and will fail as `unsealable`.',
    '',
    'Try it:',
    `  curl -s -X POST ${stack.apiUrl}/v1/collect?wait=5 -H 'content-type: application/json' \\`,
    `    -H 'x-capconnect-token: ${stack.webhookSecret}' \\`,
    `    -d '{"customer":{"email":"john.doe@example.com","phone":"090-1234-5678","country":"JP"},"event":{"eventName":"Purchase","orderId":"order-1","value":4980,"currency":"JPY","actionSource":"website","eventSourceUrl":"https://shop.example.com/thanks","clientUserAgent":"Mozilla/5.0","gclid":"Cj0KCQ-demo"}}'`,
    '  pnpm demo      # a realistic mix of events, and what each provider received',
    '',
    'Ctrl-C stops everything.',
  );
  return lines.join('\n');
}

export async function startCommand(io: Io, env: NodeJS.ProcessEnv, options: { cwd: string; verbose?: boolean; signal?: AbortSignal }): Promise<number> {
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await redisAnswers(redisUrl))) {
    writeLine(io.err, redisHelp(redisUrl));
    return EXIT.unavailable;
  }
  const useSandbox = !hasProviderCredentials(env);
  const passthrough = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] =>
    entry[1] !== undefined && /^(META_|GOOGLE_|DATA_MANAGER_|DEFAULT_|BATCH_|RETRY_|WORKER_|LOG_LEVEL|HTTP_TIMEOUT_MS|WEBHOOK_|QUEUE_ENCRYPTION_KEY)/.test(entry[0])));
  const stack = await startStack({
    redisUrl,
    workers: 1,
    apiPort: Number(env.PORT ?? 3000),
    output: options.verbose ? 'inherit' : 'capture',
    env: passthrough,
    ...(!useSandbox && { sandbox: false }),
  });
  const info: LocalStackInfo = {
    apiUrl: stack.apiUrl,
    token: stack.webhookSecret,
    apiMetricsUrl: stack.api.metricsUrl,
    workerMetricsUrls: stack.workers.map((worker) => worker.metricsUrl),
    pid: process.pid,
    ...(stack.sandbox && { sandboxUrl: stack.sandbox.url }),
  };
  mkdirSync(join(options.cwd, STATE_DIR), { recursive: true });
  writeFileSync(join(options.cwd, STATE_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  chmodSync(join(options.cwd, STATE_FILE), 0o600);
  writeLine(io.out, banner(stack, useSandbox));

  let stopping = false;
  await new Promise<void>((resolve) => {
    const done = () => { stopping = true; resolve(); };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    options.signal?.addEventListener('abort', done, { once: true });
    // A child that dies on its own takes the stack down with a clear message.
    for (const child of [stack.api, ...stack.workers]) {
      void child.exited.then((code) => {
        if (stopping) return;
        writeLine(io.err, `${child.name} exited (${String(code)}); stopping the stack`);
        done();
      });
    }
  });
  writeLine(io.out, '\nstopping: api, worker and sandbox…');
  await stack.stop();
  rmSync(join(options.cwd, STATE_FILE), { force: true });
  writeLine(io.out, 'stopped');
  return EXIT.ok;
}
