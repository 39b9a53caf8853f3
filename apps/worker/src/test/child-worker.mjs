// A worker process for the multi-process tests: the built worker (dist) with a test prefix and
// short locks, so a SIGKILLed process's jobs are taken over within seconds instead of a minute.
import { loadConfig } from '@capconnect/config';
import { createLogger } from '@capconnect/telemetry';
import { startWorker } from '@capconnect/worker';

const config = loadConfig(process.env, { service: 'worker' });
const logger = createLogger({ service: 'worker', level: 'warn' });
const server = await startWorker(config, logger, {
  prefix: process.env.TEST_PREFIX,
  host: '127.0.0.1',
  overrides: { lockDurationMs: 2000, stalledIntervalMs: 1000, queueDepthIntervalMs: 0 },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0), () => process.exit(1));
});
