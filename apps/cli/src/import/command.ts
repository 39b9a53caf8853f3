import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { ACTION_SOURCES, PROVIDERS, type ActionSource, type Provider } from '@capconnect/core';
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT, writeLine, type Io } from '../output.js';
import { checkpointPath, fingerprintOf, readCheckpoint } from './checkpoint.js';
import { MappingError, parseMapOptions } from './mapping.js';
import { createProgressDisplay } from './progress.js';
import { openReport } from './report.js';
import { runImport, type ApiStatus, type ImportResult } from './run.js';
import { ApiRefusedError, ApiUnavailableError, createSender } from './sender.js';
import { openCsvSource, openJsonLinesSource, parseDelimiterOption, SourceError, type ImportFormat, type RowSource } from './source.js';
import { isKnownTimeZone } from './time.js';
import { formatSummary, summaryJson } from './summary.js';

/** `capconnect import <file>`: offline conversions from a CRM export, through the api's batch endpoint. */

export const IMPORT_DEFAULTS = {
  apiUrl: 'http://127.0.0.1:3000',
  concurrency: 2,
  batchSize: 1000,
  timeZone: 'UTC',
  actionSource: 'system_generated' as ActionSource,
  progressIntervalS: 10,
  giveUpAfterS: 600,
} as const;

export interface ImportCommandOptions {
  format?: ImportFormat;
  delimiter?: string;
  map: string[];
  eventName?: string;
  timeZone: string;
  dayFirst?: boolean;
  actionSource: ActionSource;
  destinations?: Provider[];
  api?: string;
  rate?: number;
  concurrency: number;
  batchSize: number;
  resume?: boolean;
  dryRun?: boolean;
  json?: boolean;
  report?: string;
  progressInterval: number;
}

const positiveInteger = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return parsed;
};

const positiveNumber = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return parsed;
};

function destinationsOption(value: string): Provider[] {
  const list = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of list) if (!(PROVIDERS as readonly string[]).includes(entry)) throw new InvalidArgumentError(`expected a comma-separated list of: ${PROVIDERS.join(', ')}`);
  if (list.length === 0) throw new InvalidArgumentError('expected at least one provider');
  return list as Provider[];
}

function formatOf(file: string, chosen: ImportFormat | undefined): ImportFormat {
  if (chosen !== undefined) return chosen;
  return /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : 'csv';
}

export function registerImportCommand(program: Command, io: Io, env: NodeJS.ProcessEnv, setExit: (code: number) => void, stdin: () => Readable = () => process.stdin): void {
  program.command('import')
    .description('import offline conversions (CSV or JSON Lines) through the api\'s batch endpoint, safe to run twice')
    .argument('<file>', 'a CSV or JSON Lines file; - reads standard input')
    .option('--format <format>', 'csv or jsonl (default: from the file name; csv for stdin)', (value) => {
      if (value !== 'csv' && value !== 'jsonl') throw new InvalidArgumentError('expected csv or jsonl');
      return value;
    })
    .option('--delimiter <char>', 'CSV delimiter (default: detected from the header line among , ; tab |)')
    .option('--map <column=field>', 'feed a column to a field (email, phone, orderId, eventTime, …; - ignores it); repeatable', (value: string, previous: string[]) => [...previous, value], [])
    .option('--event-name <name>', 'conversion name for rows without one (files of one conversion type)')
    .option('--time-zone <zone>', 'IANA time zone of conversion times without an offset', IMPORT_DEFAULTS.timeZone)
    .option('--day-first', 'read 01/02/2026 as 1 February (default: month first, as US exports and Google\'s template)')
    .option('--action-source <source>', `Meta action_source for rows without one (${ACTION_SOURCES.join(', ')})`, (value) => {
      if (!(ACTION_SOURCES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${ACTION_SOURCES.join(', ')}`);
      return value;
    }, IMPORT_DEFAULTS.actionSource)
    .option('--destinations <list>', 'only these providers, comma-separated (default: all the api routes to)', destinationsOption)
    .option('--api <url>', `the CapConnect api (default: CAPCONNECT_API_URL, else ${IMPORT_DEFAULTS.apiUrl}); token from CAPCONNECT_TOKEN`)
    .option('--rate <events/s>', 'at most this many events per second (default: no cap; leave room for live webhooks)', positiveNumber('--rate'))
    .option('--concurrency <n>', 'batch requests in flight at once', positiveInteger('--concurrency'), IMPORT_DEFAULTS.concurrency)
    .option('--batch-size <n>', 'events per request (at most the api\'s BATCH_MAX_EVENTS)', positiveInteger('--batch-size'), IMPORT_DEFAULTS.batchSize)
    .option('--resume', 'continue an interrupted import from its checkpoint (<file>.capconnect-checkpoint.json)')
    .option('--dry-run', 'validate every row and show the match-key coverage per provider; send nothing')
    .option('--json', 'print the summary as JSON')
    .option('--report <path>', 'where rejected rows are listed (default: <file>.import-report.csv)')
    .option('--progress-interval <seconds>', 'seconds between progress lines when stderr is not a terminal', positiveNumber('--progress-interval'), IMPORT_DEFAULTS.progressIntervalS)
    .action(async (file: string, options: ImportCommandOptions) => {
      setExit(await importCommand(io, env, file, options, stdin));
    });
}

export async function importCommand(io: Io, env: NodeJS.ProcessEnv, file: string, options: ImportCommandOptions, stdin: () => Readable): Promise<number> {
  const usage = (message: string) => { writeLine(io.err, `capconnect import: ${message}`); return EXIT.usage; };
  const fromStdin = file === '-';
  if (!isKnownTimeZone(options.timeZone)) return usage(`unknown time zone "${options.timeZone}" (use an IANA name such as Asia/Tokyo)`);
  if (fromStdin && options.resume === true) return usage('--resume needs a file (standard input cannot be read again)');
  let overrides;
  let delimiter: string | undefined;
  try {
    overrides = parseMapOptions(options.map);
    delimiter = options.delimiter === undefined ? undefined : parseDelimiterOption(options.delimiter);
  } catch (error) {
    if (error instanceof MappingError || error instanceof SourceError) return usage(error.message);
    throw error;
  }
  const token = env['CAPCONNECT_TOKEN'];
  if (options.dryRun !== true && (token === undefined || token === '')) return usage('set CAPCONNECT_TOKEN to the api\'s token (one of its WEBHOOK_SECRET values), or use --dry-run');
  let totalBytes: number | undefined;
  if (!fromStdin) {
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return usage(`${file} is not a file`);
      totalBytes = stat.size;
    } catch {
      return usage(`cannot read ${file}`);
    }
  }
  const format = formatOf(file, options.format);
  const nowMs = Date.now();
  // Everything that shapes the events: a resume with other values would mix two imports.
  const shaping = { format, delimiter, map: options.map, eventName: options.eventName, timeZone: options.timeZone, dayFirst: options.dayFirst === true, actionSource: options.actionSource, destinations: options.destinations };
  const checkpoint = fromStdin || options.dryRun === true ? undefined : { path: checkpointPath(file), fingerprint: fingerprintOf(file, shaping) };
  let resumeFrom;
  if (checkpoint !== undefined && options.resume === true) {
    resumeFrom = readCheckpoint(checkpoint.path);
    if (resumeFrom !== undefined && resumeFrom.fingerprint !== checkpoint.fingerprint) {
      return usage('the file or the import options changed since the checkpoint: run without --resume (rows already sent are then recognised as duplicates)');
    }
    if (resumeFrom === undefined) writeLine(io.err, 'no checkpoint found: importing from the first row');
    else writeLine(io.err, `resuming after row ${resumeFrom.rowsDone.toLocaleString('en-US')}`);
  }
  const reportPath = options.report ?? (fromStdin ? 'capconnect-import-report.csv' : `${file}.import-report.csv`);
  const input = fromStdin ? stdin() : createReadStream(file);
  const source: RowSource = format === 'csv' ? openCsvSource(input, overrides, delimiter) : openJsonLinesSource(input, overrides);
  const apiUrl = options.api ?? env['CAPCONNECT_API_URL'] ?? IMPORT_DEFAULTS.apiUrl;
  const apiStatus: ApiStatus = { waits: 0 };
  const signingSecret = env['WEBHOOK_SIGNING_SECRET'];
  const sender = options.dryRun === true ? undefined : createSender({
    apiUrl, token: token ?? '', signingSecret: signingSecret === '' ? undefined : signingSecret, concurrency: options.concurrency,
    ratePerS: options.rate, giveUpAfterMs: IMPORT_DEFAULTS.giveUpAfterS * 1000,
    onBackoff: (_waitMs, cause) => { apiStatus.waiting = cause; apiStatus.waits += 1; },
  });
  const report = openReport(reportPath, resumeFrom?.rowsDone ?? 0);
  const abort = new AbortController();
  const onSigint = () => {
    writeLine(io.err, '\ninterrupted: finishing the batches in flight and writing the checkpoint (Ctrl-C again to stop at once)');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  let result: ImportResult;
  try {
    result = await runImport({
      source, totalBytes, dryRun: options.dryRun === true, sender, batchSize: options.batchSize, concurrency: options.concurrency, report,
      checkpoint: checkpoint && { ...checkpoint, resumeFrom }, signal: abort.signal, apiStatus,
      progress: createProgressDisplay(io.err, { dryRun: options.dryRun === true, intervalMs: options.progressInterval * 1000 }),
      defaultCallingCode: env['DEFAULT_COUNTRY_CODE'] ?? '81',
      row: {
        eventName: options.eventName, actionSource: options.actionSource, destinations: options.destinations, nowMs,
        time: { timeZone: options.timeZone, dayFirst: options.dayFirst === true },
      },
    });
  } catch (error) {
    const resumeHint = checkpoint === undefined ? '' : ` Progress is saved: run again with --resume to continue.`;
    if (error instanceof ApiUnavailableError) { writeLine(io.err, `capconnect import: ${error.message}.${resumeHint}`); return EXIT.unavailable; }
    if (error instanceof ApiRefusedError) {
      const hint = error.status === 401 ? ' (check CAPCONNECT_TOKEN, and WEBHOOK_SIGNING_SECRET when the api requires signatures)'
        : error.code === 'too_many_events' || error.status === 413 ? ' (lower --batch-size to the api\'s BATCH_MAX_EVENTS)' : '';
      writeLine(io.err, `capconnect import: ${error.message}${hint}.${resumeHint}`);
      return EXIT.failure;
    }
    if (error instanceof SourceError) { writeLine(io.err, `capconnect import: ${error.message}.${resumeHint}`); return EXIT.failure; }
    if (error instanceof MappingError) return usage(error.message);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
    report.close();
    input.destroy();
  }
  const reportLines = result.counts.invalid + result.counts.rejected + result.counts.tooOld;
  const summary = { file: fromStdin ? '-' : basename(file), dryRun: options.dryRun === true, result, report: reportLines > 0 ? reportPath : undefined };
  if (options.json === true) writeLine(io.out, JSON.stringify(summaryJson(summary), null, 2));
  else writeLine(io.out, formatSummary(summary));
  if (result.interrupted) {
    writeLine(io.err, `interrupted after row ${result.rowsDone.toLocaleString('en-US')}: run the same command with --resume to continue`);
    return EXIT.failure;
  }
  return result.counts.invalid + result.counts.rejected > 0 ? EXIT.failure : EXIT.ok;
}
