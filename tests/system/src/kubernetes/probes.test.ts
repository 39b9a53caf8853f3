import { freeLocalPort, startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, until, type Child } from '../dashboard/processes.js';
import { container, containerEnv, type Container } from './pods.js';
import { kustomizeAvailable, renderOverlay, type Manifest } from './render.js';

/**
 * The probes of the rendered sandbox overlay against the real built processes, started with the
 * command and environment the manifests give them (ports moved to free ones, Redis to a private
 * server this test can stop): each probe's port is the one the process listens on, and its path
 * answers as Kubernetes expects — alive throughout, ready only while Redis is.
 */

const run = kustomizeAvailable().ok || process.env.CI === 'true';
let manifests: Manifest[] = [];
let redis: PrivateRedis;
const children: Child[] = [];
const portsByService = new Map<string, Map<number, number>>();

/** The command of `spec`, run from this checkout's dist/ instead of the image's /app. */
function localCommand(spec: Container): { script: string; flags: string[] } {
  const command = spec.command ?? [];
  const script = (command.at(-1) ?? '').replace(/^\/app\/(api|worker)\//, 'apps/$1/');
  return { script, flags: command.slice(1, -1) };
}

async function start(service: 'api' | 'worker'): Promise<void> {
  const spec = container(manifests, `capconnect-${service}`);
  const env = containerEnv(manifests, spec);
  const ports = new Map<number, number>();
  for (const variable of ['PORT', 'METRICS_PORT'] as const) {
    if (env[variable] === undefined) continue;
    const local = await freeLocalPort();
    ports.set(Number(env[variable]), local);
    env[variable] = String(local);
  }
  env.REDIS_URL = redis.url;
  env.LOG_LEVEL = 'warn';
  portsByService.set(service, ports);
  const { script, flags } = localCommand(spec);
  // The manifest's own Node flags: a flag this Node rejects would stop the process here too.
  children.push(startNode(script, [], env, flags));
}

async function probe(service: 'api' | 'worker', kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe'): Promise<number> {
  const spec = container(manifests, `capconnect-${service}`);
  const httpGet = spec[kind]?.httpGet;
  if (!httpGet) throw new Error(`${service} has no ${kind}`);
  const containerPort = typeof httpGet.port === 'number' ? httpGet.port : spec.ports?.find((port) => port.name === httpGet.port)?.containerPort;
  const local = portsByService.get(service)?.get(containerPort ?? -1);
  if (local === undefined) throw new Error(`${service} ${kind}: port ${String(httpGet.port)} is not a port the process is told to listen on`);
  return (await fetch(`http://127.0.0.1:${local}${httpGet.path}`)).status;
}

beforeAll(async () => {
  if (!run) return;
  manifests = renderOverlay('sandbox');
  redis = await startPrivateRedis();
  await start('api');
  await start('worker');
}, 60_000);
afterAll(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()));
  if (run) await redis.dispose();
});

describe.runIf(run)('probes of the sandbox overlay against the real processes', () => {
  it('startup, liveness and readiness answer 200 once Redis is up', async () => {
    for (const service of ['api', 'worker'] as const) {
      await until(`${service} readiness`, async () => (await probe(service, 'readinessProbe')) === 200);
      expect(await probe(service, 'startupProbe')).toBe(200);
      expect(await probe(service, 'livenessProbe')).toBe(200);
    }
  });

  it('without Redis both stay alive but report not ready, and recover when it returns', async () => {
    await redis.stop();
    for (const service of ['api', 'worker'] as const) {
      await until(`${service} not ready`, async () => (await probe(service, 'readinessProbe')) === 503);
      expect(await probe(service, 'livenessProbe')).toBe(200);
    }
    await redis.start();
    for (const service of ['api', 'worker'] as const) {
      await until(`${service} ready again`, async () => (await probe(service, 'readinessProbe')) === 200);
    }
  });
});
