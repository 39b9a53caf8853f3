import { readFileSync } from 'node:fs';
import { shardPrefixes } from '@capconnect/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OVERLAYS, findManifest, kustomizeAvailable, renderOverlay, repoRoot, type Manifest, type Overlay } from './render.js';
import { benchMedian, container, containerEnv, entrypointCommand, envExampleNames, mebibytes, podSpec } from './pods.js';
import { schemaErrors } from './schemas.js';

/**
 * deploy/kubernetes, checked offline (no cluster runs here): every overlay merged by kustomize
 * itself (`kubectl kustomize`), every object against the Kubernetes schemas (KEDA and the
 * Prometheus operator against their CRD schemas), and the settings the README promises.
 */

const available = kustomizeAvailable();
if (!available.ok && process.env.CI !== 'true') {
  // Outside CI a missing kubectl skips with the reason; in CI (.ci/run installs it) it fails below.
  process.stdout.write(`deploy/kubernetes tests skipped: ${available.reason}\n`);
}
const run = available.ok || process.env.CI === 'true';
const rendered = new Map<Overlay, Manifest[]>();
beforeAll(() => {
  if (!available.ok) throw new Error(`kustomize is required in CI: ${available.reason}`);
  for (const overlay of OVERLAYS) rendered.set(overlay, renderOverlay(overlay));
});
afterAll(() => { rendered.clear(); });
const overlay = (name: Overlay): Manifest[] => rendered.get(name) ?? [];
const workloads = (manifests: readonly Manifest[]) => manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');

describe.runIf(run)('deploy/kubernetes overlays', () => {
  it.each(OVERLAYS)('%s: every object is valid against its schema', async (name) => {
    const manifests = overlay(name);
    expect(manifests.length).toBeGreaterThan(10);
    const errors = (await Promise.all(manifests.map(schemaErrors))).flat();
    expect(errors).toEqual([]);
    expect(manifests.every((m) => m.kind === 'Namespace' || m.metadata.namespace === 'capconnect')).toBe(true);
  });

  it('rejects what the schemas forbid (the check can fail)', async () => {
    const api = structuredClone(findManifest(overlay('sandbox'), 'Deployment', 'capconnect-api'));
    (podSpec(api).containers[0] as unknown as { image: unknown }).image = 42;
    expect(await schemaErrors(api)).toEqual([expect.stringMatching(/image must be string/)]);
    const scaled = structuredClone(findManifest(overlay('single-redis'), 'ScaledObject', 'capconnect-worker')) as Manifest & { spec: { triggers: object[] } };
    scaled.spec.triggers = [{ metadata: { listName: 'x' } }];
    expect(await schemaErrors(scaled)).toEqual([expect.stringMatching(/required property type/)]);
  });

  it('production overlays carry the api HPA, PDBs, TLS Ingress, KEDA, ServiceMonitor, alert rules and dashboard; sandbox needs no CRD', () => {
    for (const name of ['single-redis', 'redis-cluster'] as const) {
      const manifests = overlay(name);
      for (const [kind, object] of [
        ['HorizontalPodAutoscaler', 'capconnect-api'], ['PodDisruptionBudget', 'capconnect-api'], ['PodDisruptionBudget', 'capconnect-worker'],
        ['Ingress', 'capconnect-api'], ['ScaledObject', 'capconnect-worker'], ['ServiceMonitor', 'capconnect'],
        ['ConfigMap', 'capconnect-grafana-dashboard'], ['NetworkPolicy', 'capconnect-api'], ['NetworkPolicy', 'capconnect-worker'],
        ['PrometheusRule', 'capconnect'],
      ] as const) findManifest(manifests, kind, object);
      const ingress = findManifest(manifests, 'Ingress', 'capconnect-api') as Manifest & { spec: { tls?: unknown[] } };
      expect(ingress.spec.tls?.length).toBeGreaterThan(0);
      const dashboard = findManifest(manifests, 'ConfigMap', 'capconnect-grafana-dashboard') as Manifest & { data: Record<string, string> };
      expect(JSON.parse(dashboard.data['capconnect.json'] ?? '{}')).toHaveProperty('panels');
      // The alert rules are the ones deploy/prometheus/alerts.yml holds (and promtool tests), regenerated after each edit.
      const rules = findManifest(manifests, 'PrometheusRule', 'capconnect') as Manifest & { spec: { groups: { rules: unknown[] }[] } };
      const alerts = parse(readFileSync(`${repoRoot}deploy/prometheus/alerts.yml`, 'utf8')) as { groups: { rules: unknown[] }[] };
      expect(alerts.groups.flatMap((group) => group.rules).length).toBeGreaterThan(5);
      expect(rules.spec.groups, 'run `pnpm --filter @capconnect/system-tests rules:kubernetes`').toEqual(alerts.groups);
    }
    expect(overlay('sandbox').filter((m) => !m.apiVersion.includes('k8s.io') && m.apiVersion.includes('.'))).toEqual([]);
  });

  it('KEDA reads the BullMQ wait list of every queue shard of each provider, and never scales workers to zero', () => {
    for (const [name, expectedShards] of [['single-redis', 1], ['redis-cluster', 6]] as const) {
      const manifests = overlay(name);
      const scaled = findManifest(manifests, 'ScaledObject', 'capconnect-worker') as Manifest & {
        spec: { minReplicaCount: number; triggers: { type: string; metadata: Record<string, string> }[] };
      };
      expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      // The api and the workers agree on the shard count, and the triggers name exactly the wait
      // lists the code computes for it (packages/queue/src/shards.ts).
      const shards = ['capconnect-api', 'capconnect-worker'].map((deployment) => Number(containerEnv(manifests, container(manifests, deployment)).QUEUE_SHARDS ?? '1'));
      expect(shards, name).toEqual([expectedShards, expectedShards]);
      const lists = shardPrefixes(expectedShards).flatMap((prefix) => [`${prefix}:google:wait`, `${prefix}:meta:wait`]);
      expect(scaled.spec.triggers.map((trigger) => trigger.metadata.listName).sort(), name).toEqual(lists.sort());
      expect(new Set(scaled.spec.triggers.map((trigger) => trigger.type))).toEqual(new Set([name === 'single-redis' ? 'redis' : 'redis-cluster']));
      // Per-shard depth per replica: an evenly spread backlog asks for as many workers as 2,000 per replica on one queue.
      for (const trigger of scaled.spec.triggers) expect(Math.abs(Number(trigger.metadata.listLength) * expectedShards - 2000), name).toBeLessThan(expectedShards);
    }
  });

  it.each(OVERLAYS)('%s: every pod runs non-root on a read-only root filesystem with requests, limits and probes', (name) => {
    for (const workload of workloads(overlay(name))) {
      const spec = podSpec(workload);
      expect(spec.securityContext?.runAsNonRoot, workload.metadata.name).toBe(true);
      for (const c of spec.containers) {
        expect(c.securityContext, `${workload.metadata.name}/${c.name}`).toMatchObject({
          readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.requests?.memory, `${workload.metadata.name}/${c.name}`).toBeDefined();
        expect(c.resources?.limits?.memory, `${workload.metadata.name}/${c.name}`).toBeDefined();
        expect(c.readinessProbe, `${workload.metadata.name}/${c.name}`).toBeDefined();
      }
    }
    for (const deployment of ['capconnect-api', 'capconnect-worker']) {
      const c = container(overlay(name), deployment);
      expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    }
  });

  it.each(OVERLAYS)('%s: grace period above SHUTDOWN_TIMEOUT_MS, the entry point\'s Node flags, memory from the bench', (name) => {
    const manifests = overlay(name);
    const measuredMiB = { api: benchMedian('api resident memory'), worker: benchMedian('worker peak resident memory') };
    for (const service of ['api', 'worker'] as const) {
      const deployment = findManifest(manifests, 'Deployment', `capconnect-${service}`);
      const c = container(manifests, `capconnect-${service}`);
      const shutdownMs = Number(containerEnv(manifests, c).SHUTDOWN_TIMEOUT_MS ?? '25000');
      expect((podSpec(deployment).terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(shutdownMs);
      expect(c.command).toEqual(entrypointCommand(service));
      // The request holds the measured resident memory; the limit leaves half as much again for spikes.
      expect(mebibytes(c.resources?.requests?.memory ?? '0')).toBeGreaterThanOrEqual(measuredMiB[service]);
      expect(mebibytes(c.resources?.limits?.memory ?? '0')).toBeGreaterThanOrEqual(1.5 * measuredMiB[service]);
    }
  });

  it.each(OVERLAYS)('%s: every variable the pods get is one .env.example documents, and metrics listen on the pod IP', (name) => {
    const manifests = overlay(name);
    const documented = envExampleNames();
    expect(documented.size).toBeGreaterThan(20);
    for (const deployment of ['capconnect-api', 'capconnect-worker']) {
      const env = containerEnv(manifests, container(manifests, deployment));
      expect(Object.keys(env).filter((variable) => !documented.has(variable)), deployment).toEqual([]);
      expect(env.METRICS_HOST, deployment).toBe('0.0.0.0');
    }
    // The Secret a production overlay expects is documented too: every generated key is a variable.
    for (const secret of manifests.filter((m) => m.kind === 'Secret')) {
      const keys = Object.keys((secret as { data?: object }).data ?? {});
      expect(keys.filter((variable) => !documented.has(variable))).toEqual([]);
    }
  });
});
