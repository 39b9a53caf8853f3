/**
 * `conversionDateTime` as Google Ads wants it: `yyyy-mm-dd hh:mm:ss+|-hh:mm`, a space rather than
 * `T`, the offset mandatory and written with a colon (docs/platforms.md#google-click-conversions),
 * in the Ads account's time zone (`GOOGLE_TIME_ZONE`, an IANA name) so the conversion lands on the
 * day the advertiser sees in the Google Ads UI.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Formats unix seconds in `timeZone`. Throws RangeError for an unknown time zone. */
export function conversionDateTime(unixSeconds: number, timeZone: string): string {
  const ms = Math.floor(unixSeconds) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const [year, month, day, hour, minute, second] = [parts['year'] ?? 0, parts['month'] ?? 1, parts['day'] ?? 1, parts['hour'] ?? 0, parts['minute'] ?? 0, parts['second'] ?? 0];
  // The wall-clock time read as if it were UTC, minus the instant, is the zone's offset at that instant.
  const offsetMinutes = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - ms) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}
