import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localQueueKey } from './local-key.js';
import { findOnPath, startLocalRedis, type LocalRedis } from './local-redis.js';
import { EXIT, writeLine, type Io } from './output.js';
import { redisAnswers } from './redis-check.js';
import { startStack, type Stack } from './stack.js';

/**
 * `capconnect start` (`pnpm start`): the whole pipeline on this machine. With no provider
 * credentials in the environment, events go to the sandbox Meta/Google servers, and a banner says
 * so. The connection details are written to `.capconnect/local-stack.json` (mode 0600) so
 * `capconnect demo` can find the running stack. The generated `QUEUE_ENCRYPTION_KEY` is kept in
 * `.capconnect/queue-key.json` (mode 0600) so a restart can open the jobs a previous run left. With
 * no `REDIS_URL` and nothing on the default port, a private `redis-server` from PATH is started,
 * its data under `.capconnect/redis/`.
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
export const KEY_FILE = join(STATE_DIR, 'queue-key.json');
export const REDIS_DIR = join(STATE_DIR, 'redis');
export { redisAnswers };

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

export function redisHelp(url: string): string {
  return [
    `No Redis answers at ${url}.`,
    'Start one, then run this again:',
    '  redis-server                     # a local Redis on 127.0.0.1:6379',
    '  docker compose up -d redis       # or the one from docker-compose.yml',
    'or point REDIS_URL at a Redis you already have.',
  ].join('\n');
}

interface BannerNotes {
  /** Where the queue key is kept, or undefined when it came from the environment. */
  keyFile: string | undefined;
  /** The private Redis this run started, if any. */
  redis: LocalRedis | undefined;
}

function banner(stack: Stack, sandbox: boolean, notes: BannerNotes): string {
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
  if (notes.redis) {
    lines.push(`  redis        ${notes.redis.url}   (private redis-server started by this run, data in ${notes.redis.dataDir}/)`);
  }
  lines.push(notes.keyFile === undefined
    ? '  QUEUE_ENCRYPTION_KEY comes from the environment.'
    : `  QUEUE_ENCRYPTION_KEY is kept in ${notes.keyFile} (mode 0600): a restart opens the jobs this run leaves.`);
  lines.push(
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

export interface StartOptions {
  cwd: string;
  verbose?: boolean;
  signal?: AbortSignal;
  /** The Redis tried when `REDIS_URL` is unset. Default `redis://127.0.0.1:6379` (tests point it elsewhere). */
  defaultRedisUrl?: string;
}

export async function startCommand(io: Io, env: NodeJS.ProcessEnv, options: StartOptions): Promise<number> {
  const defaultRedisUrl = options.defaultRedisUrl ?? 'redis://127.0.0.1:6379';
  let redisUrl = env.REDIS_URL ?? defaultRedisUrl;
  let localRedis: LocalRedis | undefined;
  if (!(await redisAnswers(redisUrl))) {
    // Only for the default: a REDIS_URL someone set names the Redis they mean.
    const binary = env.REDIS_URL === undefined ? findOnPath('redis-server', env.PATH ?? '') : undefined;
    if (binary === undefined) {
      writeLine(io.err, redisHelp(redisUrl));
      return EXIT.unavailable;
    }
    localRedis = await startLocalRedis(binary, join(options.cwd, REDIS_DIR));
    redisUrl = localRedis.url;
    writeLine(io.out, `No Redis answers at ${defaultRedisUrl}: started a private redis-server at ${redisUrl} (data in ${REDIS_DIR}/).`);
  }
  const key = localQueueKey(join(options.cwd, KEY_FILE), env);
  const useSandbox = !hasProviderCredentials(env);
  const passthrough = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] =>
    entry[1] !== undefined && /^(META_|GOOGLE_|DATA_MANAGER_|DEFAULT_|BATCH_|RETRY_|WORKER_|LOG_LEVEL|HTTP_TIMEOUT_MS|WEBHOOK_|QUEUE_ENCRYPTION_KEY)/.test(entry[0])));
  let stack: Stack;
  try {
    stack = await startStack({
      redisUrl,
      workers: 1,
      apiPort: Number(env.PORT ?? 3000),
      output: options.verbose ? 'inherit' : 'capture',
      env: { ...passthrough, QUEUE_ENCRYPTION_KEY: key.key },
      ...(!useSandbox && { sandbox: false }),
    });
  } catch (error) {
    await localRedis?.stop();
    throw error;
  }
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
  writeLine(io.out, banner(stack, useSandbox, { keyFile: key.file === undefined ? undefined : KEY_FILE, redis: localRedis }));

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
  await localRedis?.stop();
  rmSync(join(options.cwd, STATE_FILE), { force: true });
  writeLine(io.out, 'stopped');
  return EXIT.ok;
}
