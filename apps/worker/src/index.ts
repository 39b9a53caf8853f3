export { createWorkers, type WorkerDeps, type WorkerShard, type Workers } from './workers.js';
export { startWorker, type StartedWorker, type StartWorkerOptions } from './start-worker.js';
export { Batcher, type BatcherOptions } from './batcher.js';
export { ProviderBlock, RetryableError, settle, type SettleContext } from './settle.js';
export { createDiagnosticsPoller, type DiagnosticsPoller, type DiagnosticsPollerOptions, type RequestStatusReader } from './diagnostics-poller.js';
export { createGoogleDataManagerSupport, usesDataManager, type GoogleDataManagerSupport } from './google-diagnostics.js';
