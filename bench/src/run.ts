/**
 * `pnpm bench`: sets up a private Redis, the sandbox, the api and workers (as processes, from the
 * build), runs each scenario with a warm-up and several rounds against a baseline measured side
 * by side, prints a table and writes bench/results/latest.json.
 *
 * Flags: --quick (fewer, shorter rounds), --only=0,1,2,…,11 (scenario numbers, or names: `core` is
 * 1, `import` 7, the 10 events/s trickle latency 8, `shards` 9, `same-work` 10, `bytes` 11).
 */
import { fileURLToPath } from 'node:url';
import { startStack } from '@capconnect/cli';
import { startPrivateRedis } from '@capconnect/testkit/redis-server';
import { formatResults, machine, writeResults, type Result } from './report.js';
import { runDispatch, runLatency, runTrickleLatency } from './scenarios/dispatch.js';
import { runHashScenario } from './scenarios/hash.js';
import { runSandboxThroughput } from './scenarios/sandbox.js';
import { runBatchIngest, runSingleIngest } from './scenarios/ingest.js';
import { runImportScenario } from './scenarios/import.js';
import { runRedisBytes } from './scenarios/bytes.js';
import { runSameWork } from './scenarios/same-work.js';
import { runShardScenario } from './scenarios/shards.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const SCENARIO_NAMES: Record<string, number> = { core: 1, import: 7, shards: 9, 'same-work': 10, bytes: 11 };
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',').map((name) => SCENARIO_NAMES[name] ?? Number(name));
const wanted = (scenario: number) => only === undefined || only.includes(scenario);
const rounds = quick ? 2 : 3;

const results: Result[] = [];
const log = (line: string) => { process.stderr.write(`${line}\n`); };
const errors: string[] = [];

/** Runs one scenario; a failure is reported and the other scenarios still run. */
async function scenario(name: string, run: () => Promise<Result | Result[]> | Result | Result[]): Promise<void> {
  log(`scenario ${name}`);
  try {
    const result = await run();
    results.push(...(Array.isArray(result) ? result : [result]));
  } catch (error) {
    errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    log(`  failed: ${errors.at(-1) ?? ''}`);
  }
}

log(`machine: ${JSON.stringify(machine())}`);
if (wanted(0)) await scenario('0: sandbox throughput', () => runSandboxThroughput({ rounds }));
if (wanted(1)) await scenario('1: core CPU per event vs the hashing floor', () => runHashScenario({ rounds: quick ? 5 : 7, roundMs: quick ? 400 : 1000, events: 2000 }));

if ([2, 3, 4, 5, 7, 8, 10, 11].some(wanted)) {
  const redis = await startPrivateRedis();
  // The sandbox stands in for Meta's and Google's servers, which do not share a machine with
  // CapConnect in production: it still checks, deduplicates and counts every event, but keeps none
  // (no scenario reads them back), so the harness takes less of the CPU the measured processes share.
  const stack = await startStack({ redisUrl: redis.url, workers: 0, env: { LOG_LEVEL: 'warn' }, sandbox: { maxRecordedEvents: 0 } });
  try {
    // First, on a Redis no other scenario has written to yet.
    if (wanted(11)) await scenario('11: Redis bytes per queued job', () => runRedisBytes(stack, { rounds: quick ? 3 : 5, events: 500, redisUrl: redis.url }));
    if (wanted(10)) await scenario('10: ingest vs the same-work reference', () => runSameWork(stack, { rounds: quick ? 5 : 7, roundS: quick ? 2 : 5, redisUrl: redis.url }));
    if (wanted(2)) await scenario('2: single-event ingest', () => runSingleIngest(stack, { rounds, roundS: quick ? 3 : 5, connections: 32, redisUrl: redis.url }));
    if (wanted(3)) await scenario('3: batch ingest', () => runBatchIngest(stack, { rounds, roundS: quick ? 3 : 5, connections: 2, redisUrl: redis.url }));
    if (wanted(4)) await scenario('4: dispatch', () => runDispatch(stack, { rounds: quick ? rounds : 5, events: quick ? 5000 : 20_000, warmupEvents: quick ? 2000 : 10_000, redisUrl: redis.url }));
    if (wanted(5)) await scenario('5+6: delivery latency at 1000 events/s, memory', () => runLatency(stack, { redisUrl: redis.url, ratePerS: 1000, durationS: quick ? 5 : 15 }));
    if (wanted(8)) await scenario('8: delivery latency at 10 events/s (Meta)', () => runTrickleLatency(stack, { redisUrl: redis.url, ratePerS: 10, durationS: quick ? 5 : 15 }));
    if (wanted(7)) await scenario('7: import', () => runImportScenario(stack, { rows: quick ? 50_000 : 200_000, baselineEvents: quick ? 20_000 : 40_000 }));
  } finally {
    await stack.stop();
    await redis.dispose();
  }
}

// Its own Redis and cluster, started after the others have stopped theirs.
if (wanted(9)) {
  await scenario('9: shards, one Redis vs a 3-master cluster', () => runShardScenario({ rounds: quick ? 1 : 3, events: quick ? 10_000 : 20_000, shards: 6, workers: 2 }));
}

process.stdout.write(`${formatResults(results)}\n`);
const path = fileURLToPath(new URL('../results/latest.json', import.meta.url));
writeResults(path, results, { quick, errors, note: 'ratio = ours / baseline, medians of alternating rounds' }, only !== undefined);
log(`written: ${path}`);
const failed = results.filter((result) => result.pass === false);
if (errors.length > 0) {
  log(`${errors.length} scenario(s) could not run: ${errors.join('; ')}`);
  process.exitCode = 1;
}
if (failed.length > 0) log(`${failed.length} target(s) not met: ${failed.map((result) => `${result.scenario} ${result.metric}`).join('; ')}`);
