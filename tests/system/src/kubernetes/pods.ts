import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findManifest, repoRoot, type Manifest } from './render.js';

/** The parts of a pod spec these tests read. */
export interface Probe { httpGet?: { path: string; port: string | number } }
export interface Container {
  name: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
}
export interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
}

export function podSpec(manifest: Manifest): PodSpec {
  return (manifest as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

export function container(manifests: readonly Manifest[], deployment: string): Container {
  const [first] = podSpec(findManifest(manifests, 'Deployment', deployment)).containers;
  if (!first) throw new Error(`${deployment} has no container`);
  return first;
}

/**
 * The environment a container starts with, resolved as the kubelet does: its envFrom sources in
 * order (a later one wins), then its own `env`.
 */
export function containerEnv(manifests: readonly Manifest[], spec: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of spec.envFrom ?? []) {
    if (source.configMapRef) {
      Object.assign(env, (findManifest(manifests, 'ConfigMap', source.configMapRef.name) as { data?: Record<string, string> }).data);
    }
    if (source.secretRef) {
      const secret = manifests.find((manifest) => manifest.kind === 'Secret' && manifest.metadata.name === source.secretRef?.name);
      // Production overlays expect the operator to create the Secret; only the sandbox ships one.
      for (const [key, value] of Object.entries((secret as { data?: Record<string, string> } | undefined)?.data ?? {})) {
        env[key] = Buffer.from(value, 'base64').toString('utf8');
      }
    }
  }
  for (const variable of spec.env ?? []) env[variable.name] = variable.value ?? '';
  return env;
}

/** Variable names `.env.example` documents (`NAME=` at the start of a line), read at test time. */
export function envExampleNames(): Set<string> {
  const text = readFileSync(join(repoRoot, '.env.example'), 'utf8');
  return new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? ''));
}

/** Kubernetes memory quantity (Mi, Gi, M, G or bytes) in MiB. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match?.[1]) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, '': 1 / 1048576 };
  return Number(match[1]) * (factor[match[2] ?? ''] ?? Number.NaN);
}

/** A result of bench/results/latest.json by the start of its metric's name. */
export function benchMedian(metricPrefix: string): number {
  const bench = JSON.parse(readFileSync(join(repoRoot, 'bench/results/latest.json'), 'utf8')) as {
    results: { metric: string; ours: { median: number } }[];
  };
  const result = bench.results.find((entry) => entry.metric.startsWith(metricPrefix));
  if (!result) throw new Error(`bench/results/latest.json has no "${metricPrefix}…" result`);
  return result.ours.median;
}

/** The node command line deploy/docker-entrypoint.sh runs for a service, as an argv. */
export function entrypointCommand(service: 'api' | 'worker'): string[] {
  const script = readFileSync(join(repoRoot, 'deploy/docker-entrypoint.sh'), 'utf8');
  const match = new RegExp(`exec (node [^\\n]*)"\\$here/${service}/dist/main\\.js"`).exec(script);
  if (!match?.[1]) throw new Error(`deploy/docker-entrypoint.sh has no exec line for ${service}`);
  return [...match[1].trim().split(/\s+/), `/app/${service}/dist/main.js`];
}
