export { createWorkers, type WorkerDeps, type Workers } from './workers.js';
export { startWorker, type WorkerServer, type WorkerServerOptions } from './server.js';
export { Batcher, type BatcherOptions } from './batcher.js';
export { ProviderBlock, RetryableError, settle, type SettleContext } from './job-outcome.js';
