import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { captureIo, findCanaries, startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { startStack, type Stack } from '../stack.js';
import { checkpointPath } from './checkpoint.js';
import { registerImportCommand } from './command.js';

/**
 * `capconnect import` against the whole local stack (built api and worker processes, the sandbox
 * providers, a private Redis), with request signing on: what the sandbox receives is compared with
 * the rows of generated files, after odd CSV, JSON Lines, bad rows, a re-run and a resume after a kill.
 */

const cliMain = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const SIGNING_SECRET = 'import-e2e-signing-secret-0123456789';
const CANARY = { domain: 'zq-import-canary.example', name: 'Zqimportcanary', phone: '(212) 555-0199', street: '9 Zqcanary Lane' };
const CANARY_SEARCH = [CANARY.domain, CANARY.name, '2125550199', '555-0199', 'Zqcanary Lane'];

let redis: PrivateRedis;
let stack: Stack;
let dir: string;
beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await startStack({ redisUrl: redis.url, workers: 1, env: { WEBHOOK_SIGNING_SECRET: SIGNING_SECRET } });
  dir = mkdtempSync(join(tmpdir(), 'capconnect-import-'));
});
afterAll(async () => {
  await stack.stop();
  await redis.dispose();
});
beforeEach(() => { stack.sandbox?.control.reset(); });

const env = () => ({ CAPCONNECT_TOKEN: stack.webhookSecret, CAPCONNECT_API_URL: stack.apiUrl, WEBHOOK_SIGNING_SECRET: SIGNING_SECRET });

async function importFile(args: string[]): Promise<{ code: number; summary: Record<string, unknown> & { counts: Record<string, unknown> }; stderr: string; stdout: string }> {
  const io = captureIo();
  const code = await runCli(['import', ...args, '--json'], io, env());
  const stdout = io.stdout();
  if (stdout === '') throw new Error(`import printed nothing (exit ${code}): ${io.stderr()}`);
  return { code, summary: JSON.parse(stdout) as never, stderr: io.stderr(), stdout };
}

const utc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function metaIds(): string[] { return (stack.sandbox?.control.metaEvents() ?? []).map((entry) => String(entry.event['event_id'])); }
/** Conversions the Data Manager fake accepted (the stack's default Google path); restatements are re-sends. */
function googleCount(): number { return (stack.sandbox?.control.dataManagerEvents() ?? []).filter((entry) => !entry.restatement).length; }

async function waitForDelivery(meta: number, google: number): Promise<void> {
  await expect.poll(() => metaIds().length, { timeout: 30_000, interval: 200 }).toBe(meta);
  await expect.poll(() => googleCount(), { timeout: 30_000, interval: 200 }).toBe(google);
}

/** Resolves once the wall clock has entered the next second (signatures carry a timestamp in seconds). */
async function nextSecond(): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

function expectOnce(ids: string[]): void {
  expect(ids.length).toBe(new Set(ids).size);
}

describe('capconnect import', () => {
  it('imports an odd CSV (BOM, CRLF, semicolons, quotes, newlines in fields) once, reports bad rows by number and field, and a re-run sends nothing', async () => {
    const now = Date.now();
    const lines = [
      '\uFEFFE-mail;Phone Number;First Name;Street;Order ID;Conversion Name;Conversion Time;Conversion Value;Currency;Notes',
      `"ada@${CANARY.domain}";${CANARY.phone};${CANARY.name};"${CANARY.street}";A-1;Purchase;${utc(now - HOUR_MS)};"4,980";JPY;"said ""hi""; left"`,
      `"bob@${CANARY.domain}";;;;A-2;Purchase;${utc(now - 2 * HOUR_MS)};12.5;USD;"two\r\nlines"`,
      `"cy@${CANARY.domain}";;;;;Lead;${utc(now - 3 * HOUR_MS)};;;`, // no order id: a hashed row id
      `"dee@${CANARY.domain}";;;;A-4;Purchase;not-a-time;10;JPY;`, // row 4: invalid time
      `"eve@${CANARY.domain}";;;;A-5;Purchase;${utc(now - HOUR_MS)};-3;JPY;`, // row 5: invalid value
      `"fay@${CANARY.domain}";;;;fay@${CANARY.domain};Purchase;${utc(now - HOUR_MS)};1;JPY;`, // row 6: email in the order id (the api refuses)
      `"gus@${CANARY.domain}";;;;A-7;Purchase;${utc(now - 10 * DAY_MS)};1;JPY;`, // row 7: too old for Meta, Google only
      `"hal@${CANARY.domain}";;;;A-8;Purchase;${utc(now - 100 * DAY_MS)};1;JPY;`, // row 8: too old for both
      `"ivy@${CANARY.domain}";;;;A-9;;${utc(now - HOUR_MS)};1;JPY;`, // row 9: no conversion name
    ];
    const file = join(dir, 'odd.csv');
    writeFileSync(file, `${lines.join('\r\n')}\r\n`);

    const first = await importFile([file]);
    expect(first.code).toBe(1); // some rows could not be imported
    expect(first.summary.counts).toMatchObject({ rows: 9, queued: 4, duplicate: 0, invalid: 4, tooOld: 1, skipped: { meta: { event_too_old: 2 }, google: { event_too_old: 1 } } });
    expect(first.summary.unusedColumns).toEqual(['Notes']);
    await waitForDelivery(3, 4);
    expectOnce(metaIds());

    const report = readFileSync(`${file}.import-report.csv`, 'utf8');
    expect(report.split('\n').filter(Boolean).sort()).toEqual([
      '4,invalid,event.eventTime,not a recognized date-time',
      '5,invalid,event.value,not a non-negative number',
      '6,invalid,event.orderId,must not contain an email address (ids are not hashed)',
      '8,skipped,event.eventTime,older than every provider\'s window',
      '9,invalid,event.eventName,missing (add a conversion name column or --event-name)',
      'row,status,field,reason',
    ]);

    // The re-run's batch is byte for byte the first run's: signed in the same second it would carry the
    // same signature, which the api refuses as a replay by design (docs/decisions.md#signature-replay).
    await nextSecond();
    const again = await importFile([file]);
    expect(again.summary.counts).toMatchObject({ rows: 9, queued: 0, duplicate: 4, invalid: 4 });
    expect(metaIds()).toHaveLength(3);
    expect(googleCount()).toBe(4);
    expect(findCanaries([first.stdout, first.stderr, again.stdout, again.stderr, report, stack.output()].join('\n'), CANARY_SEARCH)).toEqual([]);
  });

  it('imports JSON Lines from standard input with --event-name, and the dry run shows coverage without sending', async () => {
    const now = Date.now();
    const text = Array.from({ length: 20 }, (_, index) => JSON.stringify({
      email: `j${index}@${CANARY.domain}`, ...(index % 2 === 0 && { phone: CANARY.phone, country: 'US' }), order_id: `J-${index}`,
      conversion_time: new Date(now - (index + 1) * 60_000).toISOString(), value: index,
    })).join('\n');
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, text);

    const dry = await importFile([file, '--dry-run', '--event-name', 'Purchase']);
    expect(dry.code).toBe(0);
    expect(dry.summary.counts).toMatchObject({ rows: 20, valid: 20, queued: 0 });
    expect(dry.summary.coverage).toEqual({ meta: { rows: 20, email: 1, phone: 0.5, address: 0, clickId: 0 }, google: { rows: 20, email: 1, phone: 0.5, address: 0, clickId: 0 } });
    expect(existsSync(checkpointPath(file))).toBe(false);

    const io = captureIo();
    let exit = -1;
    const program = new Command('capconnect').exitOverride();
    registerImportCommand(program, io, env(), (code) => { exit = code; }, () => Readable.from([text]));
    await program.parseAsync(['import', '-', '--format', 'jsonl', '--event-name', 'Purchase', '--json', '--report', join(dir, 'stdin-report.csv')], { from: 'user' });
    expect(exit).toBe(0);
    expect(JSON.parse(io.stdout())).toMatchObject({ file: '-', counts: { rows: 20, queued: 20 } });
    await waitForDelivery(20, 20);
    expectOnce(metaIds());
    expect(findCanaries([dry.stdout, dry.stderr, io.stdout(), io.stderr()].join('\n'), CANARY_SEARCH)).toEqual([]);
  });

  it('resumes after a kill from the checkpoint, and every row reaches the providers exactly once', async () => {
    const now = Date.now();
    const rows = 600;
    const lines = ['email,last name,zip,country,order_id,conversion_name,conversion_time'];
    for (let index = 0; index < rows; index += 1) {
      lines.push(`k${index}@${CANARY.domain},${CANARY.name},94105,US,K-${index},Purchase,${Math.floor((now - HOUR_MS) / 1000) - index}`);
    }
    const file = join(dir, 'big.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const child = spawn(process.execPath, [cliMain, 'import', file, '--rate', '400', '--batch-size', '25', '--concurrency', '1'], {
      env: { PATH: process.env.PATH ?? '', ...env() }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOutput = '';
    child.stdout.on('data', (chunk: Buffer) => { childOutput += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { childOutput += chunk.toString('utf8'); });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const checkpointFile = checkpointPath(file);
    const rowsDone = () => { try { return (JSON.parse(readFileSync(checkpointFile, 'utf8')) as { rowsDone: number }).rowsDone; } catch { return 0; } };
    await expect.poll(rowsDone, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(100);
    child.kill('SIGKILL');
    await exited;
    const checkpointText = readFileSync(checkpointFile, 'utf8');
    const killedAt = rowsDone();
    expect(killedAt).toBeLessThan(rows);

    const resumed = await importFile([file, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming after row ${killedAt.toLocaleString('en-US')}`);
    expect(resumed.summary).toMatchObject({ resumedAfterRow: killedAt, rowsDone: rows, complete: true });
    const counts = resumed.summary.counts as { rows: number; queued: number; duplicate: number };
    expect(counts.rows).toBe(rows);
    expect(counts.queued + counts.duplicate).toBe(rows);
    expect(existsSync(checkpointFile)).toBe(false);
    await waitForDelivery(rows, rows);
    expectOnce(metaIds());
    expect(stack.sandbox?.control.stats('meta').rejected).toBe(0);
    expect(findCanaries([childOutput, checkpointText, resumed.stdout, resumed.stderr, stack.output()].join('\n'), CANARY_SEARCH)).toEqual([]);
  });

  it('refuses to run without a token, and with an unknown time zone, as usage errors', async () => {
    const file = join(dir, 'tiny.csv');
    writeFileSync(file, `email,conversion_time\na@example.com,${utc(Date.now() - HOUR_MS)}\n`);
    const noToken = captureIo();
    expect(await runCli(['import', file], noToken, {})).toBe(2);
    expect(noToken.stderr()).toContain('CAPCONNECT_TOKEN');
    const badZone = captureIo();
    expect(await runCli(['import', file, '--time-zone', 'Mars/Olympus'], badZone, env())).toBe(2);
    const wrongToken = captureIo();
    expect(await runCli(['import', file, '--event-name', 'Purchase'], wrongToken, { ...env(), CAPCONNECT_TOKEN: 'not-the-token-0123456789' })).toBe(1);
    expect(wrongToken.stderr()).toContain('401');
  });
});
