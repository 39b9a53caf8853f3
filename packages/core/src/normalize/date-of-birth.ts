import { accept, reject, type Normalized } from './result.js';

interface DateParts {
  year: number;
  month: number;
  day: number;
}

type Reader = (match: RegExpExecArray) => DateParts;

const numberAt = (match: RegExpExecArray, index: number): number => Number(match[index]);
const yearMonthDay: Reader = (m) => ({ year: numberAt(m, 1), month: numberAt(m, 2), day: numberAt(m, 3) });

/**
 * The formats accepted, each unambiguous by its separator: slashes with the year last are US order
 * (Meta's own vector `2/16/1997`), dots are European day-first order.
 */
const FORMATS: readonly (readonly [RegExp, Reader])[] = [
  // ISO 8601 date, optionally followed by a time: 1990-01-02, 1990-01-02T00:00:00Z
  [/^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+\-Z]*)?$/, yearMonthDay],
  // 1990/01/02 (Japan, China, ISO with slashes)
  [/^(\d{4})\/(\d{1,2})\/(\d{1,2})$/, yearMonthDay],
  // 19900102: also Meta's own normalized form, so the rule is idempotent
  [/^(\d{4})(\d{2})(\d{2})$/, yearMonthDay],
  // 2/16/1997 (US: month first)
  [/^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, (m) => ({ year: numberAt(m, 3), month: numberAt(m, 1), day: numberAt(m, 2) })],
  // 16.02.1997 (Germany and others: day first)
  [/^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, (m) => ({ year: numberAt(m, 3), month: numberAt(m, 2), day: numberAt(m, 1) })],
];

function isCalendarDate({ year, month, day }: DateParts): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/**
 * Meta `db`: `YYYYMMDD`, a real calendar date with the year in 1900..current year
 * (docs/platforms.md#meta-normalization-and-hashing). `nowMs` supplies the current year, so the function stays pure.
 */
export function normalizeMetaDateOfBirth(value: string, nowMs: number): Normalized {
  for (const [pattern, read] of FORMATS) {
    const match = pattern.exec(value);
    if (match === null) {
      continue;
    }
    const parts = read(match);
    const currentYear = new Date(nowMs).getUTCFullYear();
    if (parts.year < 1900 || parts.year > currentYear || !isCalendarDate(parts)) {
      return reject('invalid_date_of_birth');
    }
    return accept(`${pad(parts.year, 4)}${pad(parts.month, 2)}${pad(parts.day, 2)}`);
  }
  return reject('invalid_date_of_birth');
}
