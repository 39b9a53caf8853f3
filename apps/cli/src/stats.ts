import { PROVIDERS } from '@capconnect/core';
import { EXIT, formatTable, writeJson, writeLine, type Io } from './output.js';
import type { OpsQueues } from './queues.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** `capconnect stats`: job counts per provider queue and state. */
export async function statsCommand(ops: OpsQueues, io: Io, options: { json?: boolean }): Promise<number> {
  const counts = Object.fromEntries(
    await Promise.all(PROVIDERS.map(async (provider) => [provider, await ops.queues[provider].getJobCounts(...JOB_STATES)] as const)),
  );
  if (options.json) {
    writeJson(io, counts);
    return EXIT.ok;
  }
  writeLine(io.out, formatTable(['queue', ...JOB_STATES], PROVIDERS.map((provider) => [provider, ...JOB_STATES.map((state) => counts[provider]?.[state] ?? 0)])));
  return EXIT.ok;
}
