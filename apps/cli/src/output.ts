import type { Writable } from 'node:stream';

/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  out: Writable;
  err: Writable;
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (e.g. replay with nothing matching is still ok). */
  failure: 1,
  /** Bad arguments. */
  usage: 2,
  /** Redis (or the stack) could not be reached. */
  unavailable: 3,
} as const;

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

export function writeJson(io: Io, value: unknown): void {
  writeLine(io.out, JSON.stringify(value, null, 2));
}

/** A plain-text table with left-aligned columns. */
export function formatTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n');
}

/** Human-friendly age of a unix-ms timestamp relative to `nowMs`. */
export function formatAge(timestampMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - timestampMs) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/**
 * A progress line on stderr for long operations, redrawn in place on a terminal and printed
 * every 10% otherwise, so logs of scripted runs stay short.
 */
export function progress(io: Io, label: string, total: number): { tick(done: number): void; end(): void } {
  const tty = 'isTTY' in io.err && io.err.isTTY === true;
  let lastDecile = -1;
  const render = (done: number) => {
    const ratio = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(ratio * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  };
  return {
    tick(done) {
      if (tty) {
        io.err.write(`\r${render(done)}`);
        return;
      }
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        writeLine(io.err, render(done));
      }
    },
    end() {
      if (tty) io.err.write('\n');
    },
  };
}
