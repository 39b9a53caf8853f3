import type { Writable } from 'node:stream';
import type { ImportCounts } from './counts.js';

/**
 * The import's progress on stderr: one line redrawn in place on a terminal (at most 5 times a
 * second), or a plain line every `intervalMs` otherwise, so a scripted run's log stays short.
 * Counts and rates only.
 */

export interface ProgressSnapshot {
  counts: ImportCounts;
  bytesRead: number;
  totalBytes?: number | undefined;
  elapsedMs: number;
  /** Set while the sender is waiting for the api. */
  waiting?: string | undefined;
}

const number = (value: number) => Math.round(value).toLocaleString('en-US');

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressLine(snapshot: ProgressSnapshot, dryRun: boolean): string {
  const { counts, elapsedMs } = snapshot;
  const rate = elapsedMs > 0 ? (counts.rows / elapsedMs) * 1000 : 0;
  const parts = [
    `rows ${number(counts.rows)}`,
    ...(dryRun ? [`valid ${number(counts.valid)}`] : [`accepted ${number(counts.queued)}`, `duplicate ${number(counts.duplicate)}`]),
    `invalid ${number(counts.invalid)}`,
    ...(counts.rejected > 0 ? [`rejected ${number(counts.rejected)}`] : []),
    ...(counts.tooOld > 0 ? [`too old ${number(counts.tooOld)}`] : []),
    `${number(rate)} rows/s`,
  ];
  const total = snapshot.totalBytes;
  if (total !== undefined && total > 0) {
    const ratio = Math.min(1, snapshot.bytesRead / total);
    const width = 20;
    const filled = Math.round(ratio * width);
    const etaMs = ratio > 0 ? (elapsedMs / ratio) * (1 - ratio) : undefined;
    parts.unshift(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}%`);
    if (etaMs !== undefined && ratio < 1) parts.push(`ETA ${formatDuration(etaMs)}`);
  }
  if (snapshot.waiting !== undefined) parts.push(`waiting for the api (${snapshot.waiting})`);
  return parts.join('  ');
}

export interface ProgressDisplay {
  update(snapshot: ProgressSnapshot): void;
  finish(snapshot: ProgressSnapshot): void;
}

export function createProgressDisplay(stream: Writable, options: { dryRun: boolean; intervalMs: number; quiet?: boolean }): ProgressDisplay {
  const tty = 'isTTY' in stream && stream.isTTY === true;
  let lastMs = 0;
  return {
    update(snapshot) {
      if (options.quiet === true) return;
      const minimumMs = tty ? 200 : options.intervalMs;
      if (snapshot.elapsedMs - lastMs < minimumMs) return;
      lastMs = snapshot.elapsedMs;
      stream.write(tty ? `\r\x1b[K${progressLine(snapshot, options.dryRun)}` : `${progressLine(snapshot, options.dryRun)}\n`);
    },
    finish(snapshot) {
      if (options.quiet === true) return;
      if (tty) stream.write(`\r\x1b[K${progressLine(snapshot, options.dryRun)}\n`);
    },
  };
}
