import type { Config } from '@capconnect/config';
import type { OutcomeEvents, Producer } from '@capconnect/queue';
import type { Logger, Metrics } from '@capconnect/telemetry';
import type { SignatureLedger } from './replay.js';
import type { WaitGate } from './wait.js';

/** Everything `createApp` needs; nothing is read from globals or the environment. */
export interface AppDeps {
  /** The parsed configuration (`loadConfig(process.env, {service: 'api'})`). */
  config: Config;
  /**
   * Where events go and where their state is read back: a `Producer` on a fail-fast (`producer`
   * role) connection. It holds the keyring, so sealing happens inside `enqueue`.
   */
  producer: Pick<Producer, 'enqueue' | 'ping' | 'awaitReady' | 'queues' | 'shards'>;
  metrics: Metrics;
  logger: Logger;
  /** The ingest clock, epoch ms: default event time, event age, signature window. */
  clock: () => number;
  /** Where used request signatures are remembered (replay refusal); used when signing is on. */
  signatureLedger: SignatureLedger;
  /** Settlement notices for `?wait=`; without them a wait polls. */
  outcomes?: OutcomeEvents | undefined;
  /** Bounds concurrent `?wait=` requests; `createApp` makes one from `WAIT_MAX_CONCURRENT` when absent. */
  waitGate: WaitGate;
}

/** What `createApp` takes: `AppDeps`, with the wait gate optional. */
export type AppInput = Omit<AppDeps, 'waitGate'> & { waitGate?: WaitGate };
