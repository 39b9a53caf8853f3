import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '@capconnect/cli';
import { peakResidentMiB } from '../processes.js';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';

/**
 * Scenario 7 (`--only=import`): `capconnect import` of a generated 200,000-row CSV (ten customer
 * fields, order id, conversion name, time, value, currency, gclid per row) as its own process,
 * against the batch endpoint measured in the same run with the same events and sizes: 1000-event
 * batches, 2 requests in flight (the import's defaults), bodies serialized ahead by the harness, so
 * the baseline is the api alone and the ratio is what reading, mapping and batching a file costs.
 * The import process's peak resident memory (`VmHWM`) is polled while it runs. Both sides route to
 * one provider (`--destinations meta`), as scenario 3 does; no worker runs, so jobs only pile up.
 */

/** The built CLI, from bench/dist/scenarios (the workspace layout). */
const CLI_MAIN = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));
let counter = 0;

function row(index: number, nowS: number): string {
  return [
    `john.doe+${index}@example.com`, '(212) 555-0100', 'John', "O'Brien", 'male', '1990/01/02', 'New York', 'New York', '10001-1234', 'US',
    `bench-imp-${process.pid}-${index}`, 'Purchase', String(nowS - 3600 - (index % 3600)), '4980', 'JPY', `Cj0KCQbench${index}`,
  ].map((cell) => (/[",]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',');
}

const HEADER = 'Email,Phone Number,First Name,Last Name,Gender,Date of Birth,City,State,Zip,Country,Order ID,Conversion Name,Conversion Time,Conversion Value,Currency,Google Click ID';

async function writeCsv(path: string, rows: number): Promise<void> {
  const stream = createWriteStream(path);
  const nowS = Math.floor(Date.now() / 1000);
  stream.write(`${HEADER}\n`);
  for (let index = 0; index < rows; index += 1) {
    if (!stream.write(`${row(index, nowS)}\n`)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
}

/** The item the import sends for such a row (same fields and sizes), with a fresh order id. */
function baselineItem(nowS: number): string {
  counter += 1;
  const id = `bench-base-${process.pid}-${counter}`;
  return JSON.stringify({
    customer: {
      email: `john.doe+${counter}@example.com`, phone: '(212) 555-0100', firstName: 'John', lastName: "O'Brien", gender: 'male',
      dateOfBirth: '1990/01/02', city: 'New York', state: 'New York', zip: '10001-1234', country: 'US',
    },
    event: { eventName: 'Purchase', eventTime: nowS - 3600, actionSource: 'system_generated', value: 4980, orderId: id, currency: 'JPY', gclid: `Cj0KCQbench${counter}`, eventId: `ord-${id}` },
    destinations: ['meta'],
  });
}

/** Posts `events` events as 1000-event batches from `connections` loops; events/s. */
async function batchEndpoint(stack: Stack, events: number, connections: number): Promise<number> {
  const nowS = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let start = 0; start < events; start += 1000) bodies.push(`[${Array.from({ length: 1000 }, () => baselineItem(nowS)).join(',')}]`);
  const started = performance.now();
  let next = 0;
  const loop = async () => {
    while (next < bodies.length) {
      const body = bodies[next] ?? '[]';
      next += 1;
      const response = await fetch(`${stack.apiUrl}/v1/collect/batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-capconnect-token': stack.webhookSecret }, body });
      if (response.status !== 202) throw new Error(`batch endpoint answered ${response.status}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return events / ((performance.now() - started) / 1000);
}

interface ImportRun { eventsPerS: number; peakMiB: number; queued: number; invalid: number }

async function importProcess(stack: Stack, file: string): Promise<ImportRun> {
  const child = spawn(process.execPath, [CLI_MAIN, 'import', file, '--destinations', 'meta', '--json'], {
    env: { PATH: process.env.PATH ?? '', CAPCONNECT_TOKEN: stack.webhookSecret, CAPCONNECT_API_URL: stack.apiUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  let peakMiB = 0;
  while (child.exitCode === null && child.signalCode === null) {
    peakMiB = Math.max(peakMiB, peakResidentMiB(child.pid) ?? 0);
    await sleep(100);
  }
  const code = await exited;
  const summary = JSON.parse(stdout) as { counts: { queued: number; invalid: number; rows: number }; elapsedMs: number };
  if (code !== 0) throw new Error(`capconnect import exited ${String(code)}`);
  return { eventsPerS: (summary.counts.queued / summary.elapsedMs) * 1000, peakMiB, queued: summary.counts.queued, invalid: summary.counts.invalid };
}

export async function runImportScenario(stack: Stack, options: { rows: number; baselineEvents: number }): Promise<Result[]> {
  const dir = mkdtempSync(join(tmpdir(), 'capconnect-bench-import-'));
  const file = join(dir, 'conversions.csv');
  try {
    await writeCsv(file, options.rows);
    const sizeMiB = statSync(file).size / 2 ** 20;
    await batchEndpoint(stack, 5000, 2); // warm-up
    const before = await batchEndpoint(stack, options.baselineEvents, 2);
    const ours = await importProcess(stack, file);
    const after = await batchEndpoint(stack, options.baselineEvents, 2);
    const baseline = summarize([before, after]);
    const ratio = ours.eventsPerS / baseline.median;
    return [
      {
        scenario: '7 import', metric: `events/s (${options.rows.toLocaleString('en-US')}-row CSV)`, unit: 'events/s', ours: summarize([ours.eventsPerS]), baseline, ratio,
        target: '>= 0.80 x baseline', pass: ratio >= 0.8 && ours.queued === options.rows && ours.invalid === 0,
        note: `${ours.queued} queued, ${ours.invalid} invalid; baseline: POST /v1/collect/batch of the same items, 1000 per request, 2 in flight, bodies prepared ahead (before and after the import)`,
      },
      {
        scenario: '7 import', metric: 'import process peak resident memory', unit: 'MiB', ours: summarize([ours.peakMiB]),
        note: `VmHWM of the capconnect import process; the file is ${sizeMiB.toFixed(1)} MiB`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
