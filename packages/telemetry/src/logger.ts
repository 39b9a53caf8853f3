import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The logger every service uses. Log lines carry ids, codes, counts and durations only: request
 * bodies, job data, provider payloads and provider error text are never passed to it. As a second
 * line of defence, the fields most likely to carry secrets or personal data are redacted.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-capconnect-token"]',
  'req.headers["x-capconnect-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["developer-token"]',
  'body',
  'req.body',
  'data',
  'payload',
  'customer',
  'accessToken',
  'access_token',
  'token',
  'secret',
];

export interface LoggerOptions {
  service: string;
  /**
   * pino level name (`fatal` … `trace`, or `silent`).
   * @defaultValue `'info'`
   */
  level?: string;
  /**
   * Where lines go. Tests pass a stream to inspect every line.
   * @defaultValue stdout
   */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A destination that keeps every line in memory, for tests that scan logs for canaries. */
export function memoryDestination(): DestinationStream & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
  };
}

export type { Logger } from 'pino';
