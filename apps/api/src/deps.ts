import type { Config } from '@capconnect/config';
import type { Producer } from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';

/** Everything `createApp` needs; nothing is read from globals or the environment. */
export interface AppDeps {
  /** The parsed configuration (`loadConfig(process.env, {service: 'api'})`). */
  config: Config;
  /**
   * Where events go and where their state is read back: a `Producer` on a fail-fast (`producer`
   * role) connection. It holds the keyring, so sealing happens inside `enqueue`.
   */
  producer: Pick<Producer, 'enqueue' | 'ping' | 'awaitReady' | 'queues'>;
  metrics: Metrics;
  logger: Logger;
  /** The ingest clock, epoch ms: default event time, event age, signature window. */
  clock: () => number;
}
