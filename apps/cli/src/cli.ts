import { PROVIDERS, type Provider } from '@capconnect/core';
import { MAX_QUEUE_SHARDS, QUEUE_PREFIX } from '@capconnect/queue';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerImportCommand } from './import/command.js';
import { failedListCommand, failedShowCommand, parseTimeArgument, replayCommand, type FailedFilter } from './failed.js';
import { EXIT, writeLine, type Io } from './output.js';
import { openQueues, RedisUnavailableError, type OpsQueues } from './queues.js';
import { statsCommand } from './stats.js';
import { registerStackCommands } from './stack-commands.js';

interface GlobalOptions {
  redisUrl: string;
  prefix: string;
}

interface FilterOptions {
  provider?: Provider;
  reason?: string;
  since?: number;
  until?: number;
  json?: boolean;
}

function providerOption(value: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${PROVIDERS.join(', ')}`);
  return value as Provider;
}

function timeOption(value: string): number {
  try {
    return parseTimeArgument(value, Date.now());
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function filterOf(options: FilterOptions): FailedFilter {
  return {
    ...(options.provider && { provider: options.provider }),
    ...(options.reason !== undefined && { reason: options.reason }),
    ...(options.since !== undefined && { sinceMs: options.since }),
    ...(options.until !== undefined && { untilMs: options.until }),
  };
}

/** `QUEUE_SHARDS` as the services read it; older shards are found in Redis whatever it says. */
function shardCount(env: NodeJS.ProcessEnv): number {
  const count = Number(env.QUEUE_SHARDS ?? 1);
  return Number.isInteger(count) && count >= 1 && count <= MAX_QUEUE_SHARDS ? count : 1;
}

/**
 * Runs the `capconnect` command with `argv` (without `node` and the script) and returns the exit
 * code; main.ts only passes process.argv and exits with it. Kept separate so tests drive it.
 */
export async function runCli(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('capconnect')
    .description('CapConnect: the conversion relay. Operate the queues, run the local stack, try inputs.')
    .option('--redis-url <url>', 'Redis to operate on', env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    .option('--prefix <prefix>', 'BullMQ key prefix', QUEUE_PREFIX)
    .configureOutput({ writeOut: (text) => io.out.write(text), writeErr: (text) => io.err.write(text) })
    .exitOverride();

  const withQueues = (run: (ops: OpsQueues) => Promise<number>) => async () => {
    const global = program.opts<GlobalOptions>();
    let ops: OpsQueues;
    try {
      ops = await openQueues(global.redisUrl, { prefix: global.prefix, shards: shardCount(env) });
    } catch (error) {
      if (error instanceof RedisUnavailableError) {
        writeLine(io.err, `Redis is not reachable at the configured URL (${error.message}).`);
        exitCode = EXIT.unavailable;
        return;
      }
      throw error;
    }
    try {
      exitCode = await run(ops);
    } finally {
      await ops.close();
    }
  };

  program.command('stats').description('job counts per queue and state').option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => withQueues((ops) => statsCommand(ops, io, options))());

  const failed = program.command('failed').description('the dead-letter queue (failed jobs)');
  failed.command('list').description('failed jobs by provider, reason and age (no personal data)')
    .option('--provider <provider>', 'meta or google', providerOption)
    .option('--reason <code>', 'only this reason code')
    .option('--since <time>', 'failed at or after (ISO-8601 or 6h, 3d …)', timeOption)
    .option('--until <time>', 'failed before', timeOption)
    .option('--limit <n>', 'at most this many rows', (value) => Number.parseInt(value, 10), 100)
    .option('--json', 'machine-readable output')
    .action(async (options: FilterOptions & { limit: number }) =>
      withQueues((ops) => failedListCommand(ops, io, { ...filterOf(options), limit: options.limit, ...(options.json && { json: true }) }))());
  failed.command('show').description('one failed job: metadata, reason, identifier fields present').argument('<jobId>')
    .option('--json', 'machine-readable output')
    .action(async (jobId: string, options: { json?: boolean }) => withQueues((ops) => failedShowCommand(ops, io, jobId, options))());

  program.command('replay').description('move failed jobs back to the queue (prints the count first)')
    .option('--provider <provider>', 'meta or google', providerOption)
    .option('--reason <code>', 'only this reason code')
    .option('--since <time>', 'failed at or after (ISO-8601 or 6h, 3d …)', timeOption)
    .option('--until <time>', 'failed before', timeOption)
    .option('--include-expired', 'also replay events that failed as expired (they will expire again)')
    .option('--dry-run', 'only count what would be replayed')
    .option('--json', 'machine-readable output')
    .action(async (options: FilterOptions & { includeExpired?: boolean; dryRun?: boolean }) =>
      withQueues((ops) => replayCommand(ops, io, {
        ...filterOf(options),
        ...(options.includeExpired && { includeExpired: true }),
        ...(options.dryRun && { dryRun: true }),
        ...(options.json && { json: true }),
      }))());

  registerStackCommands(program, io, env, (code) => { exitCode = code; });
  registerImportCommand(program, io, env, (code) => { exitCode = code; });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    writeLine(io.err, `capconnect: ${error instanceof Error ? error.name : 'error'}: ${error instanceof Error ? error.message : 'unexpected failure'}`);
    return EXIT.failure;
  }
  return exitCode;
}
