import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLocalPort } from '@capconnect/sandbox';
import { measureThroughput } from '@capconnect/sandbox';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';

/**
 * Scenario 0: the sandbox must never be the bottleneck of the other scenarios. The
 * standalone sandbox process (one core, one event loop) takes batched Meta and Google uploads from
 * this process; target ≥ 20,000 events/s accepted.
 */
export async function runSandboxThroughput(options: { rounds: number }): Promise<Result[]> {
  const port = await freeLocalPort();
  const main = createRequire(import.meta.url).resolve('@capconnect/sandbox').replace(/index\.js$/, 'main.js');
  const child = spawn(process.execPath, [main, '--port', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try { if ((await fetch(`${url}/__control/state?events=false`)).ok) break; } catch { await sleep(100); }
    }
    const results: Result[] = [];
    for (const provider of ['meta', 'google'] as const) {
      await measureThroughput({ provider, url, batches: 5 });
      const rounds: number[] = [];
      for (let round = 0; round < options.rounds; round += 1) {
        await fetch(`${url}/__control/reset`, { method: 'POST' });
        rounds.push((await measureThroughput({ provider, url, batches: provider === 'meta' ? 40 : 20 })).eventsPerSecond);
      }
      const summary = summarize(rounds);
      results.push({
        scenario: '0 sandbox', metric: `${provider} events/s accepted (${provider === 'meta' ? 1000 : 2000}-event batches)`, unit: 'events/s',
        ours: summary, target: '>= 20,000 events/s', pass: summary.median >= 20_000,
      });
    }
    return results;
  } finally {
    child.kill('SIGTERM');
  }
}
