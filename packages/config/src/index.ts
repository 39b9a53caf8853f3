export { ConfigError, LEGACY_GOOGLE_NOTICE, loadConfig, type LoadOptions } from './config.js';
export { parseConversionActions } from './env.js';
export { redactConfig, redactUrl } from './redact.js';
export { MAX_QUEUE_SHARDS, parseShardList } from './shards.js';
export type {
  Config,
  DashboardConfig,
  DataManagerConfig,
  DataManagerCredentialsConfig,
  GoogleApi,
  GoogleAuth,
  GoogleConfig,
  GoogleMode,
  HttpServerLimits,
  LogLevel,
  MetaConfig,
  RetryPolicy,
  Service,
} from './types.js';
