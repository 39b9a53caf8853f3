import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ImportCounts } from './counts.js';

/**
 * The resume point of an import, kept beside the file (`<file>.capconnect-checkpoint.json`, mode
 * 0600): how many rows from the top are fully handled (every batch up to there answered by the
 * api) and the counts for those rows. It holds no value from the file: a fingerprint of the file's
 * size and modification time and of the options that shape the events, so a resume against a
 * changed file or different options is refused instead of mixing two imports.
 */

export interface Checkpoint {
  version: 1;
  fingerprint: string;
  rowsDone: number;
  counts: ImportCounts;
  updatedAt: string;
}

export function checkpointPath(file: string): string {
  return `${file}.capconnect-checkpoint.json`;
}

export function fingerprintOf(file: string, options: unknown): string {
  const stat = statSync(file);
  return createHash('sha256').update(JSON.stringify({ size: stat.size, mtimeMs: stat.mtimeMs, options })).digest('hex');
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Checkpoint>;
    return parsed.version === 1 && typeof parsed.rowsDone === 'number' && typeof parsed.fingerprint === 'string' && parsed.counts !== undefined
      ? (parsed as Checkpoint)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Write-then-rename, so a kill mid-write leaves the previous checkpoint intact. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
