import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The repository root, whatever the working directory of the test run. */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export const OVERLAYS = ['single-redis', 'redis-cluster', 'sandbox'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** One rendered Kubernetes object, as kustomize printed it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * `kubectl kustomize` (kustomize built into kubectl; Debian: package kubernetes-client) when it is
 * installed, or why not. The merge is kustomize's own, never re-implemented here.
 */
export function kustomizeAvailable(): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (probe.error) return { ok: false, reason: `kubectl not found (${(probe.error as NodeJS.ErrnoException).code ?? 'error'}); apt-get install kubernetes-client` };
  return probe.status === 0 ? { ok: true } : { ok: false, reason: `kubectl version --client exited ${String(probe.status)}` };
}

/** Every object of `deploy/kubernetes/overlays/<overlay>` after kustomize's merge. */
export function renderOverlay(overlay: Overlay): Manifest[] {
  const text = execFileSync('kubectl', ['kustomize', `deploy/kubernetes/overlays/${overlay}`], {
    cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export function findManifest(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not in the rendered overlay`);
  return found;
}
