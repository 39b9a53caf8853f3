/**
 * `pnpm bench`: sets up a private Redis, the sandbox, the api and workers (as processes, from the
 * build), runs each scenario with a warm-up and several rounds against a baseline measured side
 * by side, prints a table and writes bench/results/latest.json.
 *
 * Flags: --quick (fewer, shorter rounds), --only=1,2,3,4,5 (scenario numbers).
 */
import { fileURLToPath } from 'node:url';
import { startStack } from '@capconnect/cli';
import { startPrivateRedis } from '@capconnect/testkit/redis-server';
import { formatResults, machine, writeResults, type Result } from './report.js';
import { runDispatch, runLatency } from './scenarios/dispatch.js';
import { runHashScenario } from './scenarios/hash.js';
import { runBatchIngest, runSingleIngest } from './scenarios/ingest.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',').map(Number);
const wanted = (scenario: number) => only === undefined || only.includes(scenario);
const rounds = quick ? 2 : 3;

const results: Result[] = [];
const log = (line: string) => { process.stderr.write(`${line}\n`); };

log(`machine: ${JSON.stringify(machine())}`);
if (wanted(1)) {
  log('scenario 1: normalize + hash');
  results.push(runHashScenario({ rounds: quick ? 3 : 5, roundMs: quick ? 500 : 1000 }));
}

if ([2, 3, 4, 5].some(wanted)) {
  const redis = await startPrivateRedis();
  const stack = await startStack({ redisUrl: redis.url, workers: 0, env: { LOG_LEVEL: 'warn' } });
  try {
    if (wanted(2)) {
      log('scenario 2: single-event ingest');
      results.push(...(await runSingleIngest(stack, { rounds, roundS: quick ? 3 : 5, connections: 32, redisUrl: redis.url })));
    }
    if (wanted(3)) {
      log('scenario 3: batch ingest');
      results.push(await runBatchIngest(stack, { rounds, roundS: quick ? 3 : 5, connections: 2, redisUrl: redis.url }));
    }
    if (wanted(4)) {
      log('scenario 4: dispatch');
      results.push(...(await runDispatch(stack, { rounds, events: quick ? 5000 : 20_000, redisUrl: redis.url })));
    }
    if (wanted(5)) {
      log('scenario 5+6: delivery latency at 1000 events/s, memory');
      results.push(...(await runLatency(stack, { redisUrl: redis.url, ratePerS: 1000, durationS: quick ? 5 : 15 })));
    }
  } finally {
    await stack.stop();
    await redis.dispose();
  }
}

process.stdout.write(`${formatResults(results)}\n`);
const path = fileURLToPath(new URL('../results/latest.json', import.meta.url));
writeResults(path, results, { quick, note: 'ratio = ours / baseline, medians of alternating rounds' });
log(`written: ${path}`);
const failed = results.filter((result) => result.pass === false);
if (failed.length > 0) log(`${failed.length} target(s) not met: ${failed.map((result) => `${result.scenario} ${result.metric}`).join('; ')}`);
