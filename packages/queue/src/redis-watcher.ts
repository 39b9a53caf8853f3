import type { RedisConnection } from './connection.js';
import { checkEvictionPolicy } from './connection.js';

/** The log calls the watcher makes (a pino logger fits). */
export interface RedisWatcherLogger {
  info(message: string): void;
  warn(message: string): void;
  warn(fields: { code?: unknown }, message: string): void;
}

export interface RedisWatcherOptions {
  logger: RedisWatcherLogger;
  /** The `capconnect_redis_up` gauge: 1 while the connection is ready, else 0. */
  redisUp: { set(value: number): void };
  /** What the service does while Redis is away, ending the warning line: "ingest answers 503 until it is back". */
  whileDown: string;
  /** Log a line each time the connection becomes ready (the api does, the worker does not). */
  logReady?: boolean;
}

/**
 * Follows one service connection to Redis: mirrors its state in `capconnect_redis_up`, warns once
 * per outage (not once per reconnect attempt) with the error code only (no URL, no password), and
 * checks the eviction policy the first time the connection is ready.
 */
export function watchRedis(connection: RedisConnection, options: RedisWatcherOptions): void {
  const { logger, redisUp } = options;
  let ready = false;
  let evictionChecked = false;
  redisUp.set(0); // until the first `ready`
  connection.on('error', (error: unknown) => {
    if (!ready) return;
    ready = false;
    redisUp.set(0);
    logger.warn({ code: (error as { code?: unknown }).code }, `redis connection lost; ${options.whileDown}`);
  });
  connection.on('ready', () => {
    ready = true;
    redisUp.set(1);
    if (options.logReady === true) logger.info('redis connection ready');
    if (evictionChecked) return;
    evictionChecked = true;
    void checkEvictionPolicy(connection, (message) => { logger.warn(message); });
  });
}
