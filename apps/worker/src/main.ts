import { ConfigError, loadConfig, type Config } from '@capconnect/config';
import { createLogger } from '@capconnect/telemetry';
import { startWorker } from './start-worker.js';

// Only wiring and signals live here; everything else is in start-worker.ts and workers.ts (tested).
let config: Config;
try {
  config = loadConfig(process.env, { service: 'worker' });
} catch (error) {
  // ConfigError lists every problem by variable name, never by value.
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : 'worker: could not load the configuration\n');
  process.exit(1);
}

const logger = createLogger({ service: 'worker', level: config.logLevel });
let server: Awaited<ReturnType<typeof startWorker>>;
try {
  server = await startWorker(config, logger);
} catch (error) {
  process.stderr.write(`worker: could not start (${error instanceof Error ? error.name : 'unknown error'})\n`);
  process.exit(1);
}
logger.info({ metricsPort: server.metricsPort, providers: { meta: config.meta.enabled, google: config.google.enabled } }, 'worker started');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new jobs, flushing batches, finishing in-flight requests');
  server.close().then(
    () => { logger.info('stopped'); process.exit(0); },
    (error: unknown) => { logger.error({ errorName: error instanceof Error ? error.name : typeof error }, 'shutdown failed'); process.exit(1); },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
