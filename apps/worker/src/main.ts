import { runService } from '@capconnect/telemetry';
import { startWorker } from './start-worker.js';

// Only wiring lives here; everything else is in start-worker.ts and workers.ts (tested) and runService.
await runService({
  service: 'worker',
  start: (config, logger) => startWorker(config, logger),
  started: (worker, config, logger) => {
    logger.info({ metricsPort: worker.metricsPort, providers: { meta: config.meta.enabled, google: config.google.enabled } }, 'worker started');
  },
  startFailed: (error) => {
    process.stderr.write(`worker: could not start (${error instanceof Error ? error.name : 'unknown error'})\n`);
  },
  stopping: 'no new jobs, flushing batches, finishing in-flight requests',
});
