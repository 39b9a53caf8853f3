import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateKeyText } from '@capconnect/core';
import { SANDBOX_DEFAULTS, freeLocalPort, startSandbox, type SandboxOptions } from '@capconnect/sandbox';

/**
 * The whole pipeline on one machine, as real processes: the api and N workers are started from
 * their built `dist/main.js` exactly as in production (configured only by environment), and the
 * sandbox Meta/Google/OAuth servers run in this process when no provider credentials are given.
 * `capconnect start`, the demo, the reliability suite, the benchmarks and the dashboard test all
 * use it, so what they exercise is what ships.
 */

export interface StackOptions {
  redisUrl: string;
  /**
   * Worker processes to start, a count.
   * @defaultValue 1
   */
  workers?: number;
  /**
   * Sandbox options, or `false` to use the provider settings in `env` (real credentials).
   * @defaultValue a sandbox on a free port, with Meta and Google wired to it
   */
  sandbox?: SandboxOptions | false;
  /**
   * Extra environment for the api and workers (overrides the stack's own settings).
   * @defaultValue `{}`
   */
  env?: Record<string, string>;
  /**
   * Which Google fake the sandbox wiring uses (`GOOGLE_API`).
   * @defaultValue `'data-manager'`
   */
  googleApi?: 'data-manager' | 'ads-api';
  /**
   * Fixed api TCP port.
   * @defaultValue a free port
   */
  apiPort?: number;
  /**
   * Where child processes' output goes: kept in memory, or inherited.
   * @defaultValue `'capture'`
   */
  output?: 'capture' | 'inherit';
}

export interface StackProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly metricsUrl: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

export interface Stack {
  apiUrl: string;
  api: StackProcess;
  workers: StackProcess[];
  sandbox?: Awaited<ReturnType<typeof startSandbox>>;
  /** The shared secret clients send in `x-capconnect-token`. */
  webhookSecret: string;
  /** The environment the api and workers were started with. */
  env: Record<string, string>;
  /** Starts one more worker process, with optional extra environment (e.g. META_BATCH_MAX). */
  startWorker(env?: Record<string, string>): Promise<StackProcess>;
  /** Everything the children printed (stdout and stderr), for tests that scan logs. */
  output(): string;
  /** SIGTERM to every process, then waits for them (and closes the sandbox). */
  stop(): Promise<void>;
}

export class StackStartError extends Error {
  override readonly name = 'StackStartError';
}

const require = createRequire(import.meta.url);

/**
 * Node flags the services run with, here and in the image (deploy/docker-entrypoint.sh: keep the
 * two in step; a test does). Both trade a little GC work for memory (pnpm bench):
 * - `--heap-growing-percent=50`: after a full GC, V8 lets the old generation grow by half of what
 *   survived, instead of the several times its own heuristics allow when GC is fast. The api's
 *   resident memory after the bench's load went from 152–200 MiB to 137 MiB, and a long-running
 *   worker draining a backlog peaked near 210 MiB instead of 240–300, both at no measured throughput
 *   cost; unlike `--max-old-space-size` (same peak) it sets no ceiling that a larger
 *   WORKER_CONCURRENCY or batch could crash into. 25% cost the worker ~15% more CPU per event.
 * - The young-generation semi-space: 4 MB keeps the api near its floor at no measured cost. A worker
 *   holds up to WORKER_CONCURRENCY jobs for a whole batch round trip; 24 MB keeps most of them
 *   young, ~10% less CPU per event than Node's default 16 MB.
 */
export const SERVICE_NODE_FLAGS: Readonly<Record<'api' | 'worker', readonly string[]>> = {
  api: ['--max-semi-space-size=4', '--heap-growing-percent=50'],
  worker: ['--max-semi-space-size=24', '--heap-growing-percent=50'],
};

/** Path of a service's built entry point; tells the user to build when it is missing. */
export function servicePath(service: 'api' | 'worker'): string {
  try {
    return require.resolve(`@capconnect/${service}/main`);
  } catch {
    throw new StackStartError(`@capconnect/${service} is not built: run \`pnpm build\` first`);
  }
}

async function waitForHttp(url: string, process: StackProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) {
      throw new StackStartError(`${process.name} exited during start-up (code ${String(process.child.exitCode ?? process.child.signalCode)})`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new StackStartError(`${process.name} did not answer ${url} within ${timeoutMs} ms`);
}

/**
 * Environment wiring the api and workers to a sandbox. Google goes through the Data Manager fake
 * (`GOOGLE_API=data-manager`, the default for new configurations) with the sandbox's OAuth client;
 * `api: 'ads-api'` wires the Google Ads fake instead (the legacy path).
 */
export function sandboxEnv(
  sandbox: { metaBaseUrl: string; googleAdsBaseUrl: string; oauthTokenUrl: string; dataManagerBaseUrl?: string },
  api: 'data-manager' | 'ads-api' = 'data-manager',
): Record<string, string> {
  const [purchaseActionId, leadActionId] = SANDBOX_DEFAULTS.google.conversionActionIds;
  const common = {
    META_PIXEL_ID: SANDBOX_DEFAULTS.meta.pixelId,
    META_ACCESS_TOKEN: SANDBOX_DEFAULTS.meta.accessToken,
    META_API_BASE_URL: sandbox.metaBaseUrl,
    META_API_VERSION: SANDBOX_DEFAULTS.meta.apiVersion,
    GOOGLE_CUSTOMER_ID: SANDBOX_DEFAULTS.google.customerId,
    GOOGLE_OAUTH_CLIENT_ID: SANDBOX_DEFAULTS.oauth.clientId,
    GOOGLE_OAUTH_CLIENT_SECRET: SANDBOX_DEFAULTS.oauth.clientSecret,
    GOOGLE_OAUTH_REFRESH_TOKEN: SANDBOX_DEFAULTS.oauth.refreshToken,
    GOOGLE_OAUTH_TOKEN_URI: sandbox.oauthTokenUrl,
  };
  if (api === 'ads-api') {
    return {
      ...common,
      GOOGLE_API: 'ads-api',
      GOOGLE_ADS_API_BASE_URL: sandbox.googleAdsBaseUrl,
      GOOGLE_API_VERSION: SANDBOX_DEFAULTS.google.apiVersion,
      GOOGLE_CONVERSION_ACTIONS: `Purchase=${purchaseActionId}:click,Lead=${leadActionId}:click`,
    };
  }
  return {
    ...common,
    GOOGLE_API: 'data-manager',
    DATA_MANAGER_API_BASE_URL: sandbox.dataManagerBaseUrl ?? sandbox.googleAdsBaseUrl,
    GOOGLE_CONVERSION_ACTIONS: `Purchase=${purchaseActionId}:click,Lead=${leadActionId}:leads`,
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const sandbox = options.sandbox === false ? undefined : await startSandbox({ port: 0, ...options.sandbox });
  const webhookSecret = `local-${generateKeyText().slice(0, 24)}`;
  const apiPort = options.apiPort ?? (await freeLocalPort());
  const env: Record<string, string> = {
    REDIS_URL: options.redisUrl,
    WEBHOOK_SECRET: webhookSecret,
    QUEUE_ENCRYPTION_KEY: generateKeyText(),
    LOG_LEVEL: 'info',
    ...(sandbox && sandboxEnv(sandbox, options.googleApi)),
    ...options.env,
  };
  const chunks: string[] = [];
  const processes: StackProcess[] = [];

  const launch = async (name: string, service: 'api' | 'worker', extra: Record<string, string>): Promise<StackProcess> => {
    const metricsPort = await freeLocalPort();
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS[service], servicePath(service)], {
      env: { ...pickBaseEnv(), ...env, ...extra, METRICS_PORT: String(metricsPort) },
      stdio: options.output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const exited = new Promise<number | NodeJS.Signals>((resolve) => {
      child.once('exit', (code, signal) => { resolve(signal ?? code ?? 0); });
    });
    const handle: StackProcess = { name, child, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, exited };
    processes.push(handle);
    await waitForHttp(handle.metricsUrl, handle, 20_000);
    return handle;
  };

  const stop = async () => {
    await Promise.all(processes.map(async (handle) => {
      if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill('SIGTERM');
      await handle.exited;
    }));
    await sandbox?.close();
  };

  try {
    const api = await launch('api', 'api', { PORT: String(apiPort) });
    await waitForHttp(`http://127.0.0.1:${apiPort}/healthz`, api, 20_000);
    const workers: StackProcess[] = [];
    let workerCount = 0;
    const startWorker = async (extra: Record<string, string> = {}) => {
      workerCount += 1;
      const worker = await launch(`worker-${workerCount}`, 'worker', extra);
      workers.push(worker);
      return worker;
    };
    for (let index = 0; index < (options.workers ?? 1); index += 1) await startWorker();
    return {
      apiUrl: `http://127.0.0.1:${apiPort}`,
      api,
      workers,
      webhookSecret,
      env,
      startWorker,
      output: () => chunks.join(''),
      stop,
      ...(sandbox && { sandbox }),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The parent's environment minus CapConnect settings, so a developer's shell cannot leak into the stack. */
function pickBaseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_OPTIONS', 'TMPDIR'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key] ?? '']])));
}
