export {
  ConfigError,
  loadConfig,
  parseConversionActions,
  redactConfig,
  redactUrl,
  type Config,
  type GoogleAuth,
  type GoogleConfig,
  type GoogleMode,
  type HttpServerLimits,
  type LoadOptions,
  type LogLevel,
  type MetaConfig,
  type RetryPolicy,
  type Service,
} from './config.js';
export { MAX_QUEUE_SHARDS, parseShardList } from './shards.js';
