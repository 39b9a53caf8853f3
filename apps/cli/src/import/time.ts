/**
 * Conversion times as CRMs and spreadsheets export them, to unix seconds. Accepted:
 * - unix seconds (9–10 digits) or milliseconds (12–13 digits);
 * - `2026-11-28`, `2026-11-28 14:05`, `2026-11-28T14:05:09.123`, `2026/11/28 2:05:09 PM`;
 * - `11/28/2026 14:05[:09] [AM|PM]` (month first, as US exports and Google's upload template write
 *   it), or day first with `dayFirst` (`28/11/2026`, `28.11.2026`);
 * - any of these followed by `Z`, `UTC`, `GMT` or an offset (`+09:00`, `+0900`, `-05`).
 * A value without an offset is read in `timeZone` (IANA name, e.g. `Asia/Tokyo`; default UTC). A date
 * without a time is midnight. Anything else is refused rather than guessed.
 */

export interface TimeOptions {
  timeZone: string;
  dayFirst: boolean;
}

const OFFSET = String.raw`(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)`;
const CLOCK = String.raw`(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AP]M)?)?`;
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})${CLOCK}\s*${OFFSET}?$`, 'i');
const YEAR_LAST = new RegExp(String.raw`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})${CLOCK}\s*${OFFSET}?$`, 'i');

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** True for a time zone name this Node knows (`Asia/Tokyo`, `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** How far `timeZone`'s wall clock is ahead of UTC at the instant `utcMs`. */
function zoneOffsetMs(timeZone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wallMs = Date.UTC(parts['year'] ?? 1970, (parts['month'] ?? 1) - 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0);
  return wallMs - Math.floor(utcMs / 1000) * 1000;
}

/** A wall-clock time in `timeZone` (given as if it were UTC) → the instant. Second pass for DST edges. */
function wallClockToUtcMs(wallMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallMs;
  const first = wallMs - zoneOffsetMs(timeZone, wallMs);
  const second = wallMs - zoneOffsetMs(timeZone, first);
  return second;
}

function offsetMinutes(text: string): number | undefined {
  if (/^(Z|UTC|GMT)$/i.test(text)) return 0;
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? '0');
  if (hours > 14 || minutes > 59) return undefined;
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The conversion time in unix seconds, or undefined when the text is not a time this reader accepts. */
export function parseConversionTime(text: string, options: TimeOptions): number | undefined {
  const value = text.trim();
  if (/^\d{9,10}(\.\d+)?$/.test(value)) return Math.floor(Number(value));
  if (/^\d{12,13}$/.test(value)) return Math.floor(Number(value) / 1000);
  let year: number; let month: number; let day: number;
  let rest: (string | undefined)[];
  const yearFirst = YEAR_FIRST.exec(value);
  const yearLast = yearFirst ? null : YEAR_LAST.exec(value);
  if (yearFirst) {
    year = Number(yearFirst[1]); month = Number(yearFirst[2]); day = Number(yearFirst[3]);
    rest = yearFirst.slice(4);
  } else if (yearLast) {
    const first = Number(yearLast[1]); const second = Number(yearLast[2]);
    [month, day] = options.dayFirst ? [second, first] : [first, second];
    year = Number(yearLast[3]);
    rest = yearLast.slice(4);
  } else {
    return undefined;
  }
  const [hourText, minuteText, secondText, meridiem, offsetText] = rest;
  let hour = Number(hourText ?? '0');
  const minute = Number(minuteText ?? '0');
  const second = Number(secondText ?? '0');
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem.toUpperCase() === 'PM' ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
  if (offsetText !== undefined) {
    const offset = offsetMinutes(offsetText);
    return offset === undefined ? undefined : (wallMs - offset * 60_000) / 1000;
  }
  return wallClockToUtcMs(wallMs, options.timeZone) / 1000;
}
