import { ConfigError, loadConfig, type Config } from '@capconnect/config';
import { createLogger, type Logger } from './logger.js';

/** A started service: everything `runService` needs to stop it. */
export interface RunningService {
  /** Graceful stop; resolves when everything is closed. */
  close(): Promise<void>;
}

export interface ServiceDefinition<S extends RunningService> {
  service: 'api' | 'worker';
  /** Starts the service from a validated configuration. */
  start(config: Config, logger: Logger): Promise<S>;
  /** Logs that the service runs (its ports, its providers). */
  started(service: S, config: Config, logger: Logger): void;
  /** Reports a failed start by error name or code only; `runService` then exits 1. */
  startFailed(error: unknown, logger: Logger): void;
  /** What a graceful stop does, for the shutdown line: "no new connections, finishing in-flight requests". */
  stopping: string;
}

/**
 * The process around a service (its main.ts): loads the configuration (exit 1, listing every
 * problem by variable name, never by value), creates the logger, starts the service (exit 1 on
 * failure), and stops it gracefully on the first SIGTERM or SIGINT (exit 0, or 1 when the stop fails).
 */
export async function runService<S extends RunningService>(definition: ServiceDefinition<S>): Promise<void> {
  const { service } = definition;
  let config: Config;
  try {
    config = loadConfig(process.env, { service });
  } catch (error) {
    process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : `${service}: could not load the configuration\n`);
    process.exit(1);
  }

  const logger = createLogger({ service, level: config.logLevel });
  // Fixed texts from the configuration (e.g. how to leave the Google Ads API), once per process.
  for (const notice of config.notices) logger.warn(notice);
  let running: S;
  try {
    running = await definition.start(config, logger);
  } catch (error) {
    definition.startFailed(error, logger);
    process.exit(1);
  }
  definition.started(running, config, logger);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `shutting down: ${definition.stopping}`);
    running.close().then(
      () => { logger.info('stopped'); process.exit(0); },
      (error: unknown) => { logger.error({ errorName: error instanceof Error ? error.name : typeof error }, 'shutdown failed'); process.exit(1); },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
