import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { generateKeyText } from '@capconnect/core';
import { startSandbox, type Sandbox } from '@capconnect/sandbox';
import { freeLocalPort, startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEnv } from '@capconnect/cli';

/*
 * Deployment: no Docker engine runs here, so this test runs the steps the Dockerfile runs
 * (deploy/bundle.sh, which the image's build stage calls) and starts api and worker from the folder
 * they produce — through the image's entry point (bin/capconnect), configured by environment only,
 * against a private Redis and the in-process sandbox — then checks the image's HEALTHCHECK script
 * and that the folder holds production dependencies only.
 *
 * bundle.sh runs with --no-install --no-build: the test runner has already done both (.ci/run:
 * `pnpm install --frozen-lockfile`; `pnpm test` builds before vitest), and redoing them here would
 * rewrite node_modules and dist/ under the test files running in parallel. Set
 * CAPCONNECT_BUNDLE_FULL=1 to run every step anyway.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const BUNDLED = ['api', 'worker', 'cli'] as const;

interface RunResult { status: number | null; output: string }
async function runProgram(program: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, timeoutMs);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, output: Buffer.concat(chunks).toString('utf8').trim() }); });
  });
}

interface Service { name: string; child: ChildProcess; output: () => string; exited: Promise<number | string> }
function startService(name: string, args: readonly string[], env: NodeJS.ProcessEnv): Service {
  const child = spawn(join(bundle, 'bin/capconnect'), args, { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => { resolve(signal ?? code ?? 0); }));
  return { name, child, output: () => chunks.join(''), exited };
}

async function waitForOk(url: string, service: Service, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited before ${url} answered:\n${service.output().slice(-4000)}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name}: ${url} did not answer 2xx in ${timeoutMs} ms:\n${service.output().slice(-4000)}`);
    await sleep(100);
  }
}

/** Every file under `dir`, following no symlinks (pnpm links the virtual store into node_modules). */
function walk(dir: string, visit: (path: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, visit);
    else visit(path);
  }
}

/** Package names in a pnpm virtual store (`@scope+name@1.2.3_peer…` → `@scope/name`). */
function storePackages(nodeModules: string): Set<string> {
  const store = join(nodeModules, '.pnpm');
  if (!existsSync(store)) return new Set();
  return new Set(readdirSync(store).flatMap((entry) => {
    const match = /^(@[^+]+\+[^@]+|[^@]+)@/.exec(entry);
    return match?.[1] ? [match[1].startsWith('@') ? match[1].replace('+', '/') : match[1]] : [];
  }));
}

interface Manifest { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }
const readManifest = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

/**
 * Packages that only a development setup may contain: every devDependency in the workspace that no
 * bundled package (or workspace package it depends on) needs at run time, plus the test tooling.
 */
function devOnlyPackages(): Set<string> {
  const manifests = new Map<string, Manifest>();
  for (const parent of ['apps', 'packages']) {
    for (const dir of readdirSync(join(root, parent))) {
      if (existsSync(join(root, parent, dir, 'package.json'))) {
        const manifest = readManifest(join(parent, dir));
        manifests.set(manifest.name, manifest);
      }
    }
  }
  const production = new Set<string>();
  const pending = BUNDLED.map((dir) => readManifest(join('apps', dir)).name);
  while (pending.length > 0) {
    const name = pending.pop() ?? '';
    if (production.has(name)) continue;
    production.add(name);
    for (const dependency of Object.keys(manifests.get(name)?.dependencies ?? {})) pending.push(dependency);
  }
  const development = new Set([
    'vitest', '@vitest/coverage-v8', 'typescript', 'eslint', 'typescript-eslint', 'vite', 'turbo', '@capconnect/testkit',
    ...Object.keys(readManifest('.').devDependencies ?? {}),
    ...[...manifests.values()].flatMap((manifest) => Object.keys(manifest.devDependencies ?? {})),
  ]);
  return new Set([...development].filter((name) => !production.has(name)));
}

let scratch = '';
let bundle = '';
let bundleSeconds = 0;
let bundleLog = '';
let redis: PrivateRedis | undefined;
let sandbox: Sandbox | undefined;
const services: Service[] = [];

describe('the production bundle (deploy/bundle.sh, the Dockerfile build steps) starts and serves', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'capconnect-bundle-test-'));
    bundle = join(scratch, 'out');
    const flags = process.env.CAPCONNECT_BUNDLE_FULL === '1' ? [] : ['--no-install', '--no-build'];
    const started = Date.now();
    const result = await runProgram(join(root, 'deploy/bundle.sh'), ['--out', bundle, ...flags, ...BUNDLED], process.env, 150_000);
    bundleSeconds = (Date.now() - started) / 1000;
    bundleLog = result.output;
    expect(result.status, `deploy/bundle.sh failed:\n${bundleLog}`).toBe(0);
    [redis, sandbox] = await Promise.all([startPrivateRedis(), startSandbox({ port: 0 })]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(services.map(async (service) => {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      await service.exited;
    }));
    await sandbox?.close();
    await redis?.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('holds dist, production node_modules and the entry point — no devDependencies, tests, source or test maps', () => {
    expect(bundleSeconds, `bundle.sh took ${bundleSeconds} s`).toBeLessThan(120);
    accessSync(join(bundle, 'bin/capconnect'), constants.X_OK);
    expect(existsSync(join(bundle, 'bin/healthcheck.mjs'))).toBe(true);

    const forbidden = devOnlyPackages();
    expect(forbidden).toContain('vitest');
    const found: string[] = [];
    for (const app of BUNDLED) {
      const dir = join(bundle, app);
      expect(existsSync(join(dir, 'dist/main.js')), `${app}/dist/main.js`).toBe(true);
      expect(existsSync(join(dir, 'src')), `${app}/src must not ship`).toBe(false);
      const nodeModules = join(dir, 'node_modules');
      const installed = new Set([...storePackages(nodeModules), ...readdirSync(nodeModules).filter((name) => !name.startsWith('.'))]);
      for (const name of forbidden) if (installed.has(name)) found.push(`${app}: ${name}`);
    }
    expect.soft(found, 'devDependencies in the bundle').toEqual([]);

    // Our own compiled code (the apps' dist and every injected @capconnect package's dist) holds no
    // test file, test helper, or map/declaration of one.
    const testFiles: string[] = [];
    const isTestArtifact = (path: string) => /\.(test|reliability)\.(js|d\.ts)(\.map)?$/.test(path) || /\/dist\/(test|reliability)\//.test(path);
    // …and imports no development-only package (it would fail at run time, or ship test code).
    const devImports: string[] = [];
    const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
    const checkImports = (path: string) => {
      if (!path.endsWith('.js')) return;
      for (const match of readFileSync(path, 'utf8').matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)) {
        const name = packageOf(match[1] ?? '');
        if (forbidden.has(name)) devImports.push(`${relative(bundle, path)} imports ${name}`);
      }
    };
    for (const app of BUNDLED) {
      const dists = [join(bundle, app, 'dist')];
      const store = join(bundle, app, 'node_modules/.pnpm');
      for (const entry of readdirSync(store).filter((name) => name.startsWith('@capconnect+'))) {
        const scope = join(store, entry, 'node_modules/@capconnect');
        for (const name of readdirSync(scope)) {
          const dist = join(scope, name, 'dist');
          if (existsSync(dist) && statSync(dist).isDirectory()) dists.push(dist);
        }
      }
      for (const dist of dists) {
        walk(dist, (path) => {
          if (isTestArtifact(path)) testFiles.push(relative(bundle, path));
          checkImports(path);
        });
      }
    }
    expect.soft(testFiles, 'test artifacts in the bundle').toEqual([]);
    expect.soft(devImports, 'bundled code importing development-only packages').toEqual([]);
  });

  it('api and worker start from the bundle, serve health and metrics, deliver an event, and stop cleanly', async () => {
    if (!redis || !sandbox) throw new Error('not set up');
    const apiPort = await freeLocalPort();
    const apiMetricsPort = await freeLocalPort();
    const workerMetricsPort = await freeLocalPort();
    const webhookSecret = `bundle-${generateKeyText().slice(0, 24)}`;
    // Configured only by environment, as in the container: nothing from the developer's shell.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', LOG_LEVEL: 'warn',
      REDIS_URL: redis.url, WEBHOOK_SECRET: webhookSecret, QUEUE_ENCRYPTION_KEY: generateKeyText(),
      ...sandboxEnv(sandbox),
    };
    const apiEnv = { ...env, PORT: String(apiPort), METRICS_PORT: String(apiMetricsPort) };
    const workerEnv = { ...env, METRICS_PORT: String(workerMetricsPort) };
    const api = startService('api', ['api'], apiEnv);
    const worker = startService('worker', ['worker'], workerEnv);
    services.push(api, worker);

    await waitForOk(`http://127.0.0.1:${apiPort}/healthz`, api);
    await waitForOk(`http://127.0.0.1:${apiMetricsPort}/metrics`, api);
    await waitForOk(`http://127.0.0.1:${workerMetricsPort}/metrics`, worker);
    // The worker has no public port: its liveness probe is /healthz beside /metrics.
    const workerHealth = await fetch(`http://127.0.0.1:${workerMetricsPort}/healthz`);
    expect(workerHealth.status).toBe(200);
    expect(await workerHealth.json()).toMatchObject({ status: 'ok', service: 'worker' });
    // The processes run the bundle's code, not the workspace's.
    for (const service of [api, worker]) {
      const commandLine = readFileSync(`/proc/${String(service.child.pid)}/cmdline`, 'utf8').split('\0').join(' ');
      expect(commandLine).toContain(join(bundle, service.name, 'dist/main.js'));
    }

    // The image's HEALTHCHECK script, told which service it checks (inside a container it finds out
    // from the process list; here other tests' services run too).
    const healthcheck = join(bundle, 'bin/healthcheck.mjs');
    expect(await runProgram(process.execPath, [healthcheck, 'api'], apiEnv)).toEqual({ status: 0, output: '' });
    expect(await runProgram(process.execPath, [healthcheck, 'worker'], workerEnv)).toEqual({ status: 0, output: '' });
    expect(await runProgram(process.execPath, [healthcheck, 'cli'], env)).toEqual({ status: 0, output: '' });

    // The bundled pipeline works end to end: both sandbox providers receive the event.
    const response = await fetch(`http://127.0.0.1:${apiPort}/v1/collect?wait=15`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-capconnect-token': webhookSecret },
      body: JSON.stringify({
        customer: { email: 'bundle.test@example.com', phone: '090-1234-5678', country: 'JP' },
        event: { eventName: 'Purchase', orderId: 'bundle-test-1', actionSource: 'website', eventSourceUrl: 'https://shop.example.com/t', clientUserAgent: 'Mozilla/5.0', gclid: 'Cj0KCQ-bundle' },
      }),
    });
    const answer = await response.json() as { results?: { provider: string; status: string }[] };
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer.results).toEqual(expect.arrayContaining([
      expect.objectContaining({ provider: 'meta', status: 'sent' }),
      expect.objectContaining({ provider: 'google', status: 'sent' }),
    ]));

    // The CLI from the same bundle reads the same Redis.
    const stats = await runProgram(join(bundle, 'bin/capconnect'), ['cli', 'stats', '--json'], env);
    expect(stats.status, stats.output).toBe(0);
    expect(stats.output).toMatch(/"meta"/);

    // docker stop sends SIGTERM to the entry point, which exec'd node: both exit 0.
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited, api.output()).toBe(0);
    expect(await worker.exited, worker.output()).toBe(0);
    const afterStop = await runProgram(process.execPath, [healthcheck, 'api'], apiEnv);
    expect(afterStop.status).toBe(1);
    expect(afterStop.output).toMatch(/api did not answer/);
  }, 60_000);

  it('runs the sandbox providers from the same image entry point (docker-compose.sandbox.yml)', async () => {
    const port = await freeLocalPort();
    const sandboxService = startService('sandbox', ['sandbox', '--port', String(port)], { PATH: process.env.PATH ?? '' });
    try {
      await waitForOk(`http://127.0.0.1:${port}/__control/state?events=false`, sandboxService);
      expect(sandboxService.output()).toContain('sandbox listening');
    } finally {
      sandboxService.child.kill('SIGTERM');
    }
    expect(await sandboxService.exited).toBe(0);
  }, 30_000);
});
