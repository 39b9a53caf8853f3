import type { Manifest } from './render.js';

interface Model { validate(): void }
type ModelClass = new (data: object) => Model;

/**
 * The kubernetes-models class for an apiVersion/kind: the Kubernetes OpenAPI schemas for built-in
 * kinds, and the CRDs' own schemas for KEDA and the Prometheus operator.
 */
async function modelClass(apiVersion: string, kind: string): Promise<ModelClass> {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  let module: Record<string, unknown>;
  if (group === 'keda.sh') module = await import(/* @vite-ignore */ `@kubernetes-models/keda/${apiVersion}`) as Record<string, unknown>;
  else if (group === 'monitoring.coreos.com') module = await import(/* @vite-ignore */ `@kubernetes-models/prometheus-operator/${apiVersion}`) as Record<string, unknown>;
  else if (group === '' || !group.includes('.') || group.endsWith('.k8s.io')) module = await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}`) as Record<string, unknown>;
  else throw new Error(`no schema known for ${apiVersion}`);
  const model = module[kind];
  if (typeof model !== 'function') throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model as ModelClass;
}

/** The schema errors of one manifest (empty when it is valid). */
export async function schemaErrors(manifest: Manifest): Promise<string[]> {
  const Model = await modelClass(manifest.apiVersion, manifest.kind);
  try {
    new Model(manifest).validate();
    return [];
  } catch (error) {
    return [`${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`];
  }
}
