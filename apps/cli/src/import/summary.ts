import { formatTable } from '../output.js';
import { MATCH_KEYS } from './coverage.js';
import { formatDuration } from './progress.js';
import type { ImportResult } from './run.js';

/** The end-of-import summary, for people and for scripts (`--json`). Counts, codes and column names only. */

export interface Summary {
  file: string;
  dryRun: boolean;
  result: ImportResult;
  report?: string | undefined;
}

const n = (value: number) => value.toLocaleString('en-US');
const share = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 1000);

export function summaryJson(summary: Summary): Record<string, unknown> {
  const { result } = summary;
  return {
    file: summary.file,
    dryRun: summary.dryRun,
    complete: !result.interrupted,
    resumedAfterRow: result.resumedFrom,
    rowsDone: result.rowsDone,
    counts: result.counts,
    ...(result.coverage && {
      coverage: Object.fromEntries(Object.entries(result.coverage).map(([provider, coverage]) => [provider, {
        rows: coverage.rows, ...Object.fromEntries(MATCH_KEYS.map((key) => [key, share(coverage.keys[key], coverage.rows)])),
      }])),
    }),
    report: summary.report ?? null,
    elapsedMs: Math.round(result.elapsedMs),
    rowsPerS: Math.round(((result.counts.rows - 0) / Math.max(1, result.elapsedMs)) * 1000),
    waitedForApi: result.waitedForApi,
    unusedColumns: result.unusedColumns,
  };
}

export function formatSummary(summary: Summary): string {
  const { result } = summary;
  const { counts } = result;
  const readThisRun = counts.rows;
  const lines = [
    `${summary.dryRun ? 'dry run of' : 'imported'} ${summary.file}: ${n(readThisRun)} rows in ${formatDuration(result.elapsedMs)}${result.resumedFrom > 0 ? ` (resumed after row ${n(result.resumedFrom)})` : ''}`,
  ];
  const rows: [string, number][] = summary.dryRun
    ? [['valid', counts.valid], ['invalid', counts.invalid], ['too old for every provider', counts.tooOld]]
    : [['accepted (queued)', counts.queued], ['duplicate (already sent)', counts.duplicate], ['invalid', counts.invalid], ['rejected (no provider can take it)', counts.rejected], ['too old for every provider', counts.tooOld]];
  lines.push(formatTable(['outcome', 'rows'], rows.map(([label, value]) => [label, n(value)])));
  const skips = Object.entries(counts.skipped).flatMap(([provider, reasons]) => Object.entries(reasons).map(([reason, count]) => [provider, reason, n(count)] as const));
  if (skips.length > 0) lines.push('', 'not sent to a provider (the row went to the others):', formatTable(['provider', 'reason', 'rows'], skips));
  const warnings = Object.entries(counts.warnings);
  if (warnings.length > 0) lines.push('', `values dropped (row still sent): ${warnings.map(([code, count]) => `${code} ${n(count)}`).join(', ')}`);
  if (result.coverage) {
    lines.push('', 'match-key coverage (share of the rows each provider would receive):');
    lines.push(formatTable(['provider', 'rows', ...MATCH_KEYS], Object.entries(result.coverage).map(([provider, coverage]) => [
      provider, n(coverage.rows), ...MATCH_KEYS.map((key) => `${Math.round(share(coverage.keys[key], coverage.rows) * 100)}%`),
    ])));
  }
  if (result.unusedColumns.length > 0) lines.push('', `columns not used: ${result.unusedColumns.join(', ')} (map them with --map "<column>=<field>")`);
  if (summary.report !== undefined) lines.push('', `rows not imported are listed by row and field in ${summary.report}`);
  return lines.join('\n');
}
