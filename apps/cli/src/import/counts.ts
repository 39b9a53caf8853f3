/** What happened to the rows of an import, by outcome. Counts and codes only: never a value. */
export interface ImportCounts {
  /** Rows read (header excluded). */
  rows: number;
  /** Stored by the api as new events. */
  queued: number;
  /** Already stored (a re-run, a resume, or the same order posted online): not sent again. */
  duplicate: number;
  /** Dry run: rows the contract accepts. */
  valid: number;
  /** Unreadable, or refused by the contract: in the report by row and field. */
  invalid: number;
  /** No provider can take the row (the api's reasons are in the report). */
  rejected: number;
  /** Older than every requested provider's window: not sent. */
  tooOld: number;
  /** provider → reason → rows that provider will not receive (`event_too_old`, `no_conversion_action`, …). */
  skipped: Record<string, Record<string, number>>;
  /** warning code → rows (`invalid_phone`, …): a value was dropped, the row was still sent. */
  warnings: Record<string, number>;
}

export function emptyCounts(): ImportCounts {
  return { rows: 0, queued: 0, duplicate: 0, valid: 0, invalid: 0, rejected: 0, tooOld: 0, skipped: {}, warnings: {} };
}

export function countSkip(counts: ImportCounts, provider: string, reason: string): void {
  const byReason = (counts.skipped[provider] ??= {});
  byReason[reason] = (byReason[reason] ?? 0) + 1;
}

export function countWarning(counts: ImportCounts, code: string): void {
  counts.warnings[code] = (counts.warnings[code] ?? 0) + 1;
}

/** Adds `source` into `target`. */
export function addCounts(target: ImportCounts, source: ImportCounts): void {
  for (const key of ['rows', 'queued', 'duplicate', 'valid', 'invalid', 'rejected', 'tooOld'] as const) target[key] += source[key];
  for (const [provider, reasons] of Object.entries(source.skipped)) {
    for (const [reason, count] of Object.entries(reasons)) {
      const byReason = (target.skipped[provider] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + count;
    }
  }
  for (const [code, count] of Object.entries(source.warnings)) target.warnings[code] = (target.warnings[code] ?? 0) + count;
}
