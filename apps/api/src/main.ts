import { runService } from '@capconnect/telemetry';
import { startApiServer } from './server.js';

// Only wiring lives here; everything else is in server.ts (tested) and runService.
await runService({
  service: 'api',
  start: (config, logger) => startApiServer(config, { logger }),
  started: (server, config, logger) => {
    logger.info({ port: server.port, metricsPort: server.metricsPort, providers: { meta: config.meta.enabled, google: config.google.enabled } }, 'api listening');
  },
  startFailed: (error, logger) => {
    // e.g. the port is taken; the code says which (EADDRINUSE), the message could hold the URL.
    logger.fatal({ errorName: error instanceof Error ? error.name : typeof error, code: (error as { code?: unknown }).code }, 'api could not start');
  },
  stopping: 'no new connections, finishing in-flight requests',
});
