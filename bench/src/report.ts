import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { Summary } from './stats.js';

/** One line of the results table: ours against its baseline, and the verdict against a target. */
export interface Result {
  scenario: string;
  metric: string;
  unit: string;
  ours: Summary;
  baseline?: Summary;
  /** ours.median / baseline.median (for "lower is better" metrics the target says so). */
  ratio?: number;
  /** ours / baseline of each alternating round, where the two sides ran in pairs. */
  ratioRounds?: Summary;
  /** Human-readable target, e.g. ">= 0.80 of baseline" or "<= 1000 ms". */
  target?: string;
  pass?: boolean;
  note?: string;
}

export function machine(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
  };
}

function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function formatResults(results: readonly Result[]): string {
  const header = ['scenario', 'metric', 'ours (median)', 'spread', 'baseline (median)', 'spread', 'ratio', 'round ratios', 'target', 'verdict'];
  const percent = (summary: Summary | undefined) => (summary === undefined ? '-' : `${(summary.spread * 100).toFixed(0)}%`);
  const rows = results.map((result) => [
    result.scenario,
    `${result.metric} [${result.unit}]`,
    formatNumber(result.ours.median),
    percent(result.ours),
    formatNumber(result.baseline?.median),
    percent(result.baseline),
    result.ratio === undefined ? '-' : result.ratio.toFixed(2),
    result.ratioRounds === undefined ? '-' : `${result.ratioRounds.min.toFixed(2)}–${result.ratioRounds.max.toFixed(2)}`,
    result.target ?? '-',
    result.pass === undefined ? '-' : result.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n');
}

/**
 * Writes the results file. With `keepOthers` (a partial run, `--only`), results of scenarios that
 * were not rerun are kept from the previous file, so latest.json stays complete.
 */
export function writeResults(path: string, results: readonly Result[], extra: Record<string, unknown>, keepOthers = false): void {
  mkdirSync(dirname(path), { recursive: true });
  let kept: Result[] = [];
  if (keepOthers && existsSync(path)) {
    const previous = JSON.parse(readFileSync(path, 'utf8')) as { results?: Result[] };
    const rerun = new Set(results.map((result) => result.scenario));
    kept = (previous.results ?? []).filter((result) => !rerun.has(result.scenario));
  }
  const all = [...kept, ...results].sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...extra, results: all }, null, 2)}\n`);
}
