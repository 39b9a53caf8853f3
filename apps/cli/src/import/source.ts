import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse, type CsvError, type Options as CsvOptions } from 'csv-parse';
import { headerKey, resolveColumns, type ColumnMapping, type FieldPath } from './mapping.js';
import type { RowValues } from './row.js';

/**
 * Reads an export as a stream of rows, in bounded memory: CSV through csv-parse (any of `,` `;` tab
 * `|` as delimiter, detected from the header line unless given; quoted fields with embedded
 * delimiters, quotes and newlines; a UTF-8 BOM; CRLF) or JSON Lines (one object per line, flat or in
 * the `{customer, event, consent}` shape). Rows are numbered from 1 in file order, header excluded;
 * a row that cannot be read is yielded as unreadable, with its number, so the count stays right.
 */

export type ImportFormat = 'csv' | 'jsonl';

export type SourceRow =
  | { row: number; values: RowValues }
  | { row: number; unreadable: string };

export interface RowSource {
  rows: AsyncIterable<SourceRow>;
  /** Bytes consumed so far (for the ETA). */
  bytesRead(): number;
  /** Columns that feed no field, by header name (CSV: after the header row; JSONL: keys seen so far). */
  unusedColumns(): string[];
}

/** The input could not be read as the chosen format at all (not one bad row). Names no value. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** A parsed record and how many unreadable records csv-parse skipped just before it. */
interface CsvEntry {
  record: string[];
  skippedBefore: number;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The candidate delimiter that occurs most often outside quotes in the first line; `,` on a tie. */
export function sniffDelimiter(sample: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of sample) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best = ',';
  for (const [delimiter, count] of counts) if (count > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}

/** `\t`, `tab` → a tab; else the single character given. */
export function parseDelimiterOption(text: string): string {
  if (text === '\\t' || text.toLowerCase() === 'tab') return '\t';
  if (text.length !== 1) throw new SourceError('--delimiter takes one character (or "tab")');
  return text;
}

function addValue(values: RowValues, field: FieldPath, raw: unknown): void {
  let text: string;
  if (typeof raw === 'string') text = raw.trim();
  else if (typeof raw === 'number' || typeof raw === 'boolean') text = String(raw);
  else return;
  if (text === '') return;
  const list = values.get(field);
  if (list === undefined) values.set(field, [text]);
  else if (field.startsWith('customer.')) list.push(text);
}

async function* withCounting(input: AsyncIterable<Buffer | string>, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.bytes += buffer.length;
    yield buffer;
  }
}

export function openCsvSource(input: Readable, overrides: ReadonlyMap<string, FieldPath | null>, delimiter?: string): RowSource & { mapping(): ColumnMapping | undefined } {
  const counter = { bytes: 0 };
  let mapping: ColumnMapping | undefined;
  async function* rows(): AsyncGenerator<SourceRow> {
    const iterator = withCounting(input, counter)[Symbol.asyncIterator]();
    const firstChunk = await iterator.next();
    if (firstChunk.done === true) throw new SourceError('the input is empty (a header row is needed)');
    const chosen = delimiter ?? sniffDelimiter(firstChunk.value.toString('utf8').replace(/^\uFEFF/, ''));
    let pendingSkips = 0;
    const csvOptions: CsvOptions<CsvEntry, string[]> = {
      bom: true, delimiter: chosen, relax_quotes: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true,
      on_skip: () => { pendingSkips += 1; return undefined; },
      // Runs in step with on_skip, so each record knows how many unreadable records came just before it.
      on_record: (record: string[]) => { const entry = { record, skippedBefore: pendingSkips }; pendingSkips = 0; return entry; },
    };
    const parser = parse(csvOptions as unknown as CsvOptions);
    const chunks = (async function* () { yield firstChunk.value; for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value; })();
    Readable.from(chunks).on('error', (error) => parser.destroy(error)).pipe(parser);
    let row = 0;
    try {
      for await (const entry of parser as AsyncIterable<CsvEntry>) {
        for (let skipped = 0; skipped < entry.skippedBefore; skipped += 1) {
          if (mapping !== undefined) { row += 1; yield { row, unreadable: 'malformed CSV record' }; }
        }
        if (mapping === undefined) {
          mapping = resolveColumns(entry.record.map((name) => name.trim()), overrides);
          continue;
        }
        row += 1;
        const values: RowValues = new Map();
        entry.record.forEach((cell, column) => {
          const field = mapping?.fields[column];
          if (field !== undefined && field !== null) addValue(values, field, cell);
        });
        yield { row, values };
      }
    } catch (error) {
      // csv-parse messages can quote input: only the code and line travel on.
      const csv = error as Partial<CsvError> & { lines?: number };
      if (typeof csv.code === 'string') throw new SourceError(`the CSV cannot be read past line ${csv.lines ?? '?'} (${csv.code})`);
      throw error;
    }
    for (let skipped = 0; skipped < pendingSkips; skipped += 1) { row += 1; yield { row, unreadable: 'malformed CSV record' }; }
    if (mapping === undefined) throw new SourceError('the input has no header row');
  }
  return { rows: rows(), bytesRead: () => counter.bytes, unusedColumns: () => mapping?.unused ?? [], mapping: () => mapping };
}

const NESTED = new Set(['customer', 'event', 'consent']);

export function openJsonLinesSource(input: Readable, overrides: ReadonlyMap<string, FieldPath | null>): RowSource {
  const counter = { bytes: 0 };
  const resolved = new Map<string, FieldPath | null>();
  const unused = new Set<string>();
  const fieldOf = (key: string): FieldPath | null => {
    let field = resolved.get(key);
    if (field === undefined) {
      field = overrides.has(headerKey(key)) ? (overrides.get(headerKey(key)) ?? null) : (resolveColumns([key], new Map()).fields[0] ?? null);
      resolved.set(key, field);
      if (field === null && unused.size < 100) unused.add(key);
    }
    return field;
  };
  async function* rows(): AsyncGenerator<SourceRow> {
    const lines = createInterface({ input: Readable.from(withCounting(input, counter)), crlfDelay: Infinity });
    let row = 0;
    for await (const rawLine of lines) {
      const line = row === 0 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (line.trim() === '') continue;
      row += 1;
      let parsed: unknown;
      try { parsed = JSON.parse(line); } catch { yield { row, unreadable: 'not valid JSON' }; continue; }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) { yield { row, unreadable: 'not a JSON object' }; continue; }
      const values: RowValues = new Map();
      for (const [key, raw] of Object.entries(parsed)) {
        if (NESTED.has(key) && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
          for (const [inner, innerRaw] of Object.entries(raw as Record<string, unknown>)) {
            const field = fieldOf(`${key}.${inner}`);
            if (field !== null) for (const item of Array.isArray(innerRaw) ? innerRaw : [innerRaw]) addValue(values, field, item);
          }
          continue;
        }
        const field = fieldOf(key);
        if (field !== null) for (const item of Array.isArray(raw) ? raw : [raw]) addValue(values, field, item);
      }
      yield { row, values };
    }
  }
  return { rows: rows(), bytesRead: () => counter.bytes, unusedColumns: () => [...unused] };
}
