import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

/**
 * The rows that were not imported, as CSV: `row,status,field,reason`. Row numbers count data rows
 * from 1 (header excluded); `field` is an ingest field path (`event.eventTime`) and `reason` a fixed
 * text or the api's reason codes. Never a value from the file, so the report can be shared.
 */

const HEADER = 'row,status,field,reason';

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export interface ReportLine {
  row: number;
  status: 'invalid' | 'rejected' | 'skipped';
  field: string;
  reason: string;
}

export interface Report {
  add(line: ReportLine): void;
  /** Lines written (this run). */
  lines(): number;
  close(): void;
}

/**
 * Opens the report. A fresh import starts it over; a resumed one keeps the lines of rows up to
 * `keepRowsUpTo` (handled before the interruption) and drops later ones, which will be redone.
 * The file is created on the first line only.
 */
export function openReport(path: string, keepRowsUpTo = 0): Report {
  let fd: number | undefined;
  let written = 0;
  if (keepRowsUpTo > 0 && existsSync(path)) {
    const kept = readFileSync(path, 'utf8').split('\n').slice(1).filter((line) => line !== '' && Number(line.slice(0, line.indexOf(','))) <= keepRowsUpTo);
    writeFileSync(path, [HEADER, ...kept, ''].join('\n'));
    fd = openSync(path, 'a');
  }
  return {
    add(line) {
      if (fd === undefined) {
        fd = openSync(path, 'w');
        writeSync(fd, `${HEADER}\n`);
      }
      writeSync(fd, `${line.row},${line.status},${csvCell(line.field)},${csvCell(line.reason)}\n`);
      written += 1;
    },
    lines: () => written,
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
