export { DEFAULT_ERROR_CODES, PROVIDER_LABELS, createMetrics, statusClass, type Metrics, type MetricsOptions } from './metrics.js';
export { REDACTED_PATHS, createLogger, memoryDestination, type Logger, type LoggerOptions } from './logger.js';
export { startMetricsServer, type MetricsServer } from './metrics-server.js';
export { runService, type RunningService, type ServiceDefinition } from './run-service.js';
export { DIAGNOSTICS_REASONS, createDiagnosticsMetrics, type DiagnosticsStatus } from './diagnostics-metrics.js';
