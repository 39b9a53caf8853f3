import { ConfigError, loadConfig, type Config } from '@capconnect/config';
import { createLogger } from '@capconnect/telemetry';
import { startApiServer } from './server.js';

// Only wiring and signals live here; everything else is in server.ts (tested).
let config: Config;
try {
  config = loadConfig(process.env, { service: 'api' });
} catch (error) {
  // ConfigError lists every problem by variable name, never by value.
  process.stderr.write(error instanceof ConfigError ? `${error.message}\n` : 'api: could not load the configuration\n');
  process.exit(1);
}

const logger = createLogger({ service: 'api', level: config.logLevel });
const server = await startApiServer(config, { logger }).catch((error: unknown) => {
  // e.g. the port is taken; the code says which (EADDRINUSE), the message could hold the URL.
  logger.fatal({ errorName: error instanceof Error ? error.name : typeof error, code: (error as { code?: unknown }).code }, 'api could not start');
  process.exit(1);
});
logger.info({ port: server.port, metricsPort: server.metricsPort, providers: { meta: config.meta.enabled, google: config.google.enabled } }, 'api listening');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
  server.close().then(
    () => { logger.info('stopped'); process.exit(0); },
    (error: unknown) => { logger.error({ errorName: error instanceof Error ? error.name : typeof error }, 'shutdown failed'); process.exit(1); },
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
