import { addCounts, countSkip, countWarning, emptyCounts, type ImportCounts } from './counts.js';
import { checkItem, emptyCoverage, type CoverageByProvider } from './coverage.js';
import { removeCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { ProgressDisplay } from './progress.js';
import type { Report } from './report.js';
import { buildRow, type RowOptions } from './row.js';
import type { BatchAnswer, Sender } from './sender.js';
import type { RowSource } from './source.js';

/**
 * The import loop: rows → ingest items → batches → the api, with bounded memory (at most
 * `concurrency` batches in flight, then reading waits) and a checkpoint that only moves past a batch
 * once it and every batch before it were answered, so a kill at any point resumes without a gap.
 */

export interface ImportRunOptions {
  source: RowSource;
  totalBytes?: number | undefined;
  row: RowOptions;
  /** Validate and measure coverage only: nothing is sent. */
  dryRun: boolean;
  sender?: Sender | undefined;
  batchSize: number;
  concurrency: number;
  report: Report;
  checkpoint?: { path: string; fingerprint: string; resumeFrom?: Checkpoint | undefined } | undefined;
  progress: ProgressDisplay;
  /** Aborting stops reading; batches in flight still finish and the checkpoint is written. */
  signal?: AbortSignal | undefined;
  defaultCallingCode: string;
  /** Shared with the sender's `onBackoff`: why it is waiting for the api right now, and how often it had to. */
  apiStatus?: ApiStatus | undefined;
}

export interface ApiStatus {
  waiting?: string;
  waits: number;
}

export interface ImportResult {
  counts: ImportCounts;
  coverage?: CoverageByProvider;
  /** Rows from the top fully handled (what a resume skips). */
  rowsDone: number;
  /** Rows handled by an earlier run (resume), not read again. */
  resumedFrom: number;
  interrupted: boolean;
  elapsedMs: number;
  unusedColumns: string[];
  waitedForApi: number;
}

/** Rows between two batch boundaries: their local outcomes and, once answered, their batch's. */
interface Segment {
  lastRow: number;
  counts: ImportCounts;
  items: string[];
  rows: number[];
  done: boolean;
}

const newSegment = (): Segment => ({ lastRow: 0, counts: emptyCounts(), items: [], rows: [], done: false });

export async function runImport(options: ImportRunOptions): Promise<ImportResult> {
  const started = performance.now();
  const resumeFrom = options.checkpoint?.resumeFrom;
  const committed = resumeFrom?.counts ?? emptyCounts();
  const live = emptyCounts();
  addCounts(live, committed);
  let rowsDone = resumeFrom?.rowsDone ?? 0;
  const coverage = options.dryRun ? emptyCoverage() : undefined;
  const pending: Segment[] = [];
  const inFlight = new Set<Promise<void>>();
  let current = newSegment();
  let failure: Error | undefined;
  const apiStatus = options.apiStatus ?? { waits: 0 };

  const snapshot = () => ({
    counts: live, bytesRead: options.source.bytesRead(), totalBytes: options.totalBytes, elapsedMs: performance.now() - started, waiting: apiStatus.waiting,
  });
  const both = (apply: (counts: ImportCounts) => void) => { apply(live); apply(current.counts); };

  const saveCheckpoint = () => {
    if (options.checkpoint === undefined) return;
    writeCheckpoint(options.checkpoint.path, {
      version: 1, fingerprint: options.checkpoint.fingerprint, rowsDone, counts: committed, updatedAt: new Date().toISOString(),
    });
  };

  /** Folds answered segments at the head of the queue into the checkpoint. */
  const advance = () => {
    let moved = false;
    while (pending[0]?.done === true) {
      const segment = pending.shift();
      if (segment === undefined) break;
      addCounts(committed, segment.counts);
      rowsDone = segment.lastRow;
      moved = true;
    }
    if (moved) saveCheckpoint();
  };

  const applyAnswer = (segment: Segment, answer: BatchAnswer) => {
    const issuesByIndex = new Map((answer.validationErrors ?? []).map((entry) => [entry.index, entry.issues]));
    const apply = (counts: ImportCounts) => {
      for (const result of answer.results) {
        if (result.status === 'queued') counts.queued += 1;
        else if (result.status === 'duplicate') counts.duplicate += 1;
        else if (result.status === 'invalid') counts.invalid += 1;
        else counts.rejected += 1;
        for (const skip of result.skipped ?? []) if (skip.reason !== 'not_requested' && result.status !== 'rejected') countSkip(counts, skip.provider, skip.reason);
        for (const warning of result.warnings ?? []) countWarning(counts, warning.code);
      }
    };
    apply(live);
    apply(segment.counts);
    for (const result of answer.results) {
      const row = segment.rows[result.index] ?? -1;
      if (result.status === 'invalid') {
        for (const issue of issuesByIndex.get(result.index) ?? []) options.report.add({ row, status: 'invalid', field: issue.path, reason: issue.message });
      } else if (result.status === 'rejected') {
        const reasons = (result.skipped ?? []).filter((skip) => skip.reason !== 'not_requested').map((skip) => `${skip.provider}: ${skip.reason}`);
        options.report.add({ row, status: 'rejected', field: '-', reason: reasons.join('; ') || 'no provider can take it' });
      }
    }
  };

  const close = async () => {
    const segment = current;
    current = newSegment();
    if (segment.lastRow === 0) return;
    pending.push(segment);
    if (segment.items.length === 0 || options.sender === undefined) {
      segment.done = true;
      advance();
      return;
    }
    const body = `[${segment.items.join(',')}]`;
    const events = segment.items.length;
    segment.items = [];
    const sender = options.sender;
    const task = (async () => {
      try {
        applyAnswer(segment, await sender.send(body, events));
        segment.done = true;
        delete apiStatus.waiting;
        advance();
        options.progress.update(snapshot());
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error('batch failed');
      }
    })();
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  };

  const skipUpTo = rowsDone;
  for await (const entry of options.source.rows) {
    if (entry.row <= skipUpTo) continue;
    if (options.signal?.aborted === true || failure !== undefined) break;
    both((counts) => { counts.rows += 1; });
    current.lastRow = entry.row;
    if ('unreadable' in entry) {
      both((counts) => { counts.invalid += 1; });
      options.report.add({ row: entry.row, status: 'invalid', field: '(row)', reason: entry.unreadable });
    } else {
      const outcome = buildRow(entry.values, options.row);
      if (outcome.kind === 'invalid') {
        both((counts) => { counts.invalid += 1; });
        for (const issue of outcome.issues) options.report.add({ row: entry.row, status: 'invalid', field: issue.field, reason: issue.reason });
      } else {
        for (const provider of outcome.tooOldFor) both((counts) => { countSkip(counts, provider, 'event_too_old'); });
        if (outcome.kind === 'too_old') {
          both((counts) => { counts.tooOld += 1; });
          options.report.add({ row: entry.row, status: 'skipped', field: 'event.eventTime', reason: 'older than every provider\'s window' });
        } else if (coverage !== undefined) {
          const issues = checkItem(outcome.item, coverage, { nowMs: options.row.nowMs, defaultCallingCode: options.defaultCallingCode });
          both((counts) => { if (issues === undefined) counts.valid += 1; else counts.invalid += 1; });
          for (const issue of issues ?? []) options.report.add({ row: entry.row, status: 'invalid', field: issue.path, reason: issue.message });
        } else {
          current.items.push(JSON.stringify(outcome.item));
          current.rows.push(entry.row);
        }
      }
    }
    if (current.items.length >= options.batchSize) await close();
    else if (live.rows % 1000 === 0) options.progress.update(snapshot());
  }
  const interrupted = options.signal?.aborted === true;
  if (failure === undefined) await close();
  await Promise.allSettled([...inFlight]);
  advance();
  const complete = failure === undefined && !interrupted;
  if (options.checkpoint !== undefined) {
    if (complete) removeCheckpoint(options.checkpoint.path);
    else saveCheckpoint();
  }
  options.progress.finish(snapshot());
  if (failure !== undefined) throw failure;
  return {
    counts: live, ...(coverage && { coverage }), rowsDone, resumedFrom: resumeFrom?.rowsDone ?? 0, interrupted,
    elapsedMs: performance.now() - started, unusedColumns: options.source.unusedColumns(), waitedForApi: apiStatus.waits,
  };
}
