import { PROVIDERS, type Provider } from '@capconnect/core';
import { EXIT, formatTable, writeJson, writeLine, type Io } from './output.js';
import type { OpsQueues } from './queues.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

type Counts = Record<string, number>;

/**
 * `capconnect stats`: job counts per provider queue and state, summed over every shard; with more
 * than one shard also per shard (`--json`: `shards: [{shard, prefix, meta, google}]`).
 */
export async function statsCommand(ops: OpsQueues, io: Io, options: { json?: boolean }): Promise<number> {
  const perShard = await Promise.all(ops.shards.map(async (shard) => ({
    shard: shard.label,
    prefix: shard.prefix,
    ...Object.fromEntries(await Promise.all(PROVIDERS.map(async (provider) => [provider, await shard.queues[provider].getJobCounts(...JOB_STATES)] as const))),
  } as { shard: string; prefix: string } & Record<Provider, Counts>)));
  const totals = Object.fromEntries(PROVIDERS.map((provider) => [provider, Object.fromEntries(JOB_STATES.map((state) =>
    [state, perShard.reduce((sum, shard) => sum + (shard[provider][state] ?? 0), 0)]))])) as Record<Provider, Counts>;
  if (options.json) {
    // One shard: the output stays what it was before shards, for scripts that read it.
    writeJson(io, perShard.length > 1 ? { ...totals, shards: perShard } : totals);
    return EXIT.ok;
  }
  const rows: (string | number)[][] = PROVIDERS.map((provider) => [provider, ...JOB_STATES.map((state) => totals[provider][state] ?? 0)]);
  if (perShard.length > 1) {
    for (const shard of perShard) {
      for (const provider of PROVIDERS) rows.push([`${provider} shard ${shard.shard}`, ...JOB_STATES.map((state) => shard[provider][state] ?? 0)]);
    }
  }
  writeLine(io.out, formatTable(['queue', ...JOB_STATES], rows));
  return EXIT.ok;
}
