import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { japaneseCustomer, startStack, usCustomer, type Stack } from '@capconnect/cli';
import { freeLocalPort, startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * docs/architecture.md#metrics-and-logs: a provisioned Grafana dashboard whose every panel's query returns data against a
 * running stack. A real Prometheus (Debian's package) scrapes the BUILT api and worker (`pnpm build`
 * first; `pnpm test` does) under generated traffic that produces every outcome the dashboard shows,
 * loads deploy/prometheus/alerts.yml, and then every panel query of
 * deploy/grafana/dashboards/capconnect.json is evaluated through the HTTP API.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const deployDir = join(root, 'deploy');
const hasBinary = (program: string) => spawnSync(program, ['--version'], { encoding: 'utf8', timeout: 10_000 }).status === 0;
const prometheusAbsent = !hasBinary('prometheus') || !hasBinary('promtool');
// Outside CI a machine without Prometheus skips (with the reason in the test name); CI must run it.
const skip = prometheusAbsent && !process.env.CI;
const skipReason = skip ? ' [SKIPPED: prometheus/promtool not installed; apt-get install prometheus]' : '';
if (skip) console.warn(`dashboard.test.ts${skipReason} (CI=true makes this a failure)`);

interface DashboardQuery { panel: string; refId: string; expr: string }
async function dashboardQueries(): Promise<DashboardQuery[]> {
  // deploy/dashboard-queries.mjs is plain Node ESM without types: loaded dynamically, typed here.
  const module = await import(/* @vite-ignore */ pathToFileURL(join(deployDir, 'dashboard-queries.mjs')).href) as {
    dashboardQueries: (json: string) => DashboardQuery[];
  };
  return module.dashboardQueries(readFileSync(join(deployDir, 'grafana/dashboards/capconnect.json'), 'utf8'));
}

/** Grafana's interval variables, in case a panel ever uses them, replaced by windows that hold ≥ 2 scrapes. */
function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__rate_interval\}?/g, '1m')
    .replace(/\$\{?__interval\}?/g, '15s')
    .replace(/\$\{?__range\}?/g, '5m');
}

/** A panel query without its `or on() vector(0)` fallback: proves the series itself exists. */
const FALLBACK = /\s+or\s+on\s*\(\s*\)\s+vector\(0\)/g;

async function runTool(program: string, args: readonly string[], input = ''): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (status) => { resolve({ status, output: Buffer.concat(chunks).toString('utf8').trim() }); });
    child.stdin.end(input);
  });
}

interface Sample { metric: Record<string, string>; value: [number, string] }
interface QueryAnswer { status: 'success' | 'error'; error?: string; data?: { resultType: string; result: Sample[] | [number, string] } }

let redis: PrivateRedis | undefined;
let stack: Stack | undefined;
let prometheus: { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<void> } | undefined;
let promUrl = '';
let scratch = '';

async function query(expr: string): Promise<{ ok: true; samples: Sample[] } | { ok: false; error: string }> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
  const answer = await response.json() as QueryAnswer;
  if (answer.status !== 'success' || !answer.data) return { ok: false, error: answer.error ?? `HTTP ${response.status}` };
  const { resultType, result } = answer.data;
  if (resultType !== 'vector') return { ok: false, error: `result type ${resultType}, not a vector` };
  return { ok: true, samples: result as Sample[] };
}

/** Why a query does not show data on the panel, or undefined when it does (NaN alone is "no data" to Grafana). */
async function problemOf(expr: string): Promise<string | undefined> {
  const result = await query(expr);
  if (!result.ok) return `error: ${result.error}`;
  if (result.samples.length === 0) return 'no data';
  if (result.samples.every((sample) => Number.isNaN(Number(sample.value[1])))) return `only NaN (${result.samples.length} series)`;
  return undefined;
}

/** Resolves once Prometheus has scraped both the api and the worker successfully. */
async function waitForScrapes(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await query('up == 1');
    const jobs = new Set(result.ok ? result.samples.map((sample) => sample.metric['job']) : []);
    if (jobs.has('capconnect-api') && jobs.has('capconnect-worker')) return;
    if (Date.now() > deadline) throw new Error(`prometheus has not scraped both targets: ${JSON.stringify(result)}\n${prometheus?.output() ?? ''}`);
    await sleep(200);
  }
}

const targetOf = (metricsUrl: string) => new URL(metricsUrl).host;

function prometheusConfig(apiTarget: string, workerTargets: string[]): string {
  // Job names as in deploy/prometheus/prometheus.yml: CapConnectApiDown/WorkersDown select on them.
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(join(deployDir, 'prometheus/alerts.yml'))}`,
    'scrape_configs:',
    '  - job_name: capconnect-api',
    '    static_configs:',
    `      - targets: [${JSON.stringify(apiTarget)}]`,
    '  - job_name: capconnect-worker',
    '    static_configs:',
    `      - targets: [${workerTargets.map((target) => JSON.stringify(target)).join(', ')}]`,
    '',
  ].join('\n');
}

async function startPrometheus(config: string): Promise<void> {
  const port = await freeLocalPort();
  const configFile = join(scratch, 'prometheus.yml');
  writeFileSync(configFile, config);
  const child = spawn('prometheus', [
    `--config.file=${configFile}`, `--storage.tsdb.path=${join(scratch, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  child.on('error', (error) => chunks.push(`spawn error: ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('close', () => { resolve(); }));
  prometheus = { child, output: () => chunks.join(''), exited };
  promUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`prometheus exited during start-up:\n${prometheus.output()}`);
    try {
      if ((await fetch(`${promUrl}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${prometheus.output()}`);
    await sleep(100);
  }
}

// --- traffic -----------------------------------------------------------------------------------

const run = randomBytes(3).toString('hex');
const nowS = () => Math.floor(Date.now() / 1000);

function webEvent(eventName: string, eventId: string, extra: Record<string, unknown> = {}) {
  return {
    eventName, eventId, orderId: eventId, value: 4980, currency: 'JPY', actionSource: 'website',
    eventSourceUrl: 'https://shop.example.com/thank-you', clientIpAddress: '203.0.113.7',
    clientUserAgent: 'Mozilla/5.0 (observability test)', fbp: `fb.1.${Date.now()}.1234567890`, gclid: `Cj0KCQ-obs-${eventId}`, ...extra,
  };
}

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  if (!stack) throw new Error('no stack');
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-capconnect-token': stack.webhookSecret },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/**
 * One round of every outcome a panel shows: queued to both providers, duplicate, invalid, skipped,
 * warnings, retries, a dead letter. Ids are unique per round.
 */
async function trafficRound(round: number): Promise<void> {
  if (!stack?.sandbox) throw new Error('no sandbox');
  const { control } = stack.sandbox;
  const id = (name: string) => `obs-${run}-${round}-${name}`;
  // The first request to each provider fails transiently: retried series and error codes.
  control.addFault({ provider: 'meta', kind: 'http-500', count: 1 });
  control.addFault({ provider: 'google', kind: 'http-503', count: 1 });

  const answers: { name: string; status: number; json: unknown }[] = [];
  const single = async (name: string, body: unknown) => { answers.push({ name, ...(await post('/v1/collect', body)) }); };

  await single('JP purchase', { customer: japaneseCustomer(1), event: webEvent('Purchase', id('jp-1')) });
  await single('US lead, pre-hashed email', {
    customer: { ...usCustomer(2), email: 'a'.repeat(64) }, event: webEvent('Lead', id('us-2'), { currency: 'USD' }),
  });
  await single('duplicate', { customer: japaneseCustomer(1), event: webEvent('Purchase', id('jp-1')) });
  await single('invalid (future)', { customer: usCustomer(4), event: webEvent('Purchase', id('future-4'), { eventTime: nowS() + 86_400 }) });
  // Too old for Meta's 7-day window and not a conversion action Google knows: no provider takes it.
  await single('skipped (stale, unmapped)', { customer: usCustomer(5), event: webEvent('ViewContent', id('stale-5'), { eventTime: nowS() - 8 * 86_400 }) });
  // Google refuses the click id row permanently (UNPARSEABLE_GCLID): a dead letter in the google queue.
  await single('permanent failure (google)', { customer: usCustomer(6), event: webEvent('Purchase', id('bad-gclid-6'), { gclid: 'not.a.gclid!' }) });

  const batch: unknown[] = [];
  for (let index = 0; index < 8; index += 1) {
    const customer = index % 2 === 0 ? japaneseCustomer(10 + index) : usCustomer(10 + index);
    batch.push({ customer, event: webEvent(index % 3 === 0 ? 'Lead' : 'Purchase', id(`batch-${index}`)) });
  }
  batch.push({ customer: { ...usCustomer(20), email: 'not-an-email' }, event: webEvent('Purchase', id('batch-bad-email')) }); // a warning
  batch.push({ customer: usCustomer(21), event: { orderId: 'missing-event-name' } }); // invalid item
  answers.push({ name: 'batch', ...(await post('/v1/collect/batch', batch)) });

  const statuses = Object.fromEntries(answers.map((answer) => [answer.name, answer.status]));
  expect(statuses, JSON.stringify(answers, null, 1)).toMatchObject({
    'JP purchase': 202, 'US lead, pre-hashed email': 202, 'invalid (future)': 400, 'permanent failure (google)': 202,
  });
  expect(answers.find((answer) => answer.name === 'duplicate')?.json).toMatchObject({ status: 'duplicate' });
}

// --- the tests -----------------------------------------------------------------------------------

describe.skipIf(skip)(`observability: a real Prometheus scraping a running stack${skipReason}`, () => {
  beforeAll(async () => {
    if (prometheusAbsent) throw new Error('prometheus/promtool not found: CI must install them (apt-get install prometheus; .ci/run does)');
    scratch = mkdtempSync(join(tmpdir(), 'capconnect-prometheus-'));
    redis = await startPrivateRedis();
    stack = await startStack({
      // The Google Ads fake: its row errors (UNPARSEABLE_GCLID) drive the failure panels and alerts below.
      redisUrl: redis.url, workers: 1, googleApi: 'ads-api',
      // Retries within the test's time; linger short so batches go out at once.
      env: { LOG_LEVEL: 'warn', RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', BATCH_LINGER_MS: '20' },
    });
    await startPrometheus(prometheusConfig(targetOf(stack.api.metricsUrl), stack.workers.map((worker) => targetOf(worker.metricsUrl))));
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.child.exitCode === null && prometheus.child.signalCode === null) {
      prometheus.child.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.child.kill('SIGKILL'), 10_000);
      await prometheus.exited;
      clearTimeout(timer);
    }
    await stack?.stop();
    await redis?.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('promtool: the alert rules are valid and their unit tests pass', async () => {
    const check = await runTool('promtool', ['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect(check.status, check.output).toBe(0);
    const test = await runTool('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    expect(test.status, test.output).toBe(0);
  });

  it('every dashboard panel query returns data, the rules evaluate, and both /metrics pass promtool check metrics', async () => {
    if (!stack) throw new Error('no stack');
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    // A counter series first seen at its final value has no rate: wait until both targets have been
    // scraped before any traffic, then send several rounds, each in a later scrape interval, so every
    // labelled series increases between two samples.
    await waitForScrapes();
    for (let round = 1; round <= 3; round += 1) {
      if (round > 1) await sleep(1500);
      await trafficRound(round);
    }

    // Each query as the panel runs it, and — where it falls back to `or on() vector(0)` — without the
    // fallback too, so a panel cannot pass on its fallback alone while the traffic above should have
    // produced the real series.
    const checks = queries.flatMap(({ panel, refId, expr }) => {
      const evaluated = substituteGrafanaVariables(expr);
      const bare = evaluated.replace(FALLBACK, '');
      return [
        { name: `"${panel}" ${refId}`, expr: evaluated },
        ...(bare === evaluated ? [] : [{ name: `"${panel}" ${refId} without its vector(0) fallback`, expr: bare }]),
      ];
    });
    // What the traffic must have produced, so that the panels show it and not just zeros.
    for (const [name, expr] of [
      ...['queued', 'duplicate', 'invalid', 'skipped'].map((outcome) => [`ingest outcome ${outcome}`, `capconnect_ingest_events_total{outcome="${outcome}"} > 0`]),
      ...['meta', 'google'].flatMap((provider) => ['sent', 'retried'].map((outcome) => [`${provider} ${outcome}`, `capconnect_dispatch_events_total{provider="${provider}",outcome="${outcome}"} > 0`])),
      ['google failed (UNPARSEABLE_GCLID)', 'capconnect_dispatch_events_total{provider="google",outcome="failed"} > 0'],
      ['google error code UNPARSEABLE_GCLID', 'capconnect_provider_errors_total{provider="google",code="UNPARSEABLE_GCLID"} > 0'],
      ['meta transient error code', 'capconnect_provider_errors_total{provider="meta"} > 0'],
      ['dead-letter queue google > 0', 'max by (queue) (capconnect_queue_jobs{queue="google",state="failed"}) > 0'],
      ['OAuth refresh success', 'capconnect_oauth_refresh_total{outcome="success"} > 0'],
      ['meta identifiers in several fields', 'count(capconnect_identifiers_total{provider="meta"}) >= 5'],
      ['google identifiers in several fields', 'count(capconnect_identifiers_total{provider="google"}) >= 2'],
    ] as const) checks.push({ name: `traffic: ${name}`, expr });

    // Queue depths are read every 15 s by the worker and the dead letter needs its retries first:
    // poll until every query has data (or report the ones that never did).
    const findProblems = async () => {
      const found: string[] = [];
      for (const check of checks) {
        const problem = await problemOf(check.expr);
        if (problem !== undefined) found.push(`${check.name}: ${problem}\n    ${check.expr}`);
      }
      return found;
    };
    const deadline = Date.now() + 40_000;
    let problems = await findProblems();
    while (problems.length > 0 && Date.now() < deadline) {
      await sleep(1000);
      problems = await findProblems();
    }
    expect(problems, `panel queries without data:\n${problems.join('\n')}`).toEqual([]);

    // Both jobs are scraped under the job names the rules expect, and every rule evaluates cleanly.
    const targets = await (await fetch(`${promUrl}/api/v1/targets`)).json() as { data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] } };
    expect(targets.data.activeTargets.map((target) => [target.labels['job'], target.health, target.lastError]).sort()).toEqual([
      ['capconnect-api', 'up', ''], ['capconnect-worker', 'up', ''],
    ]);
    const rules = await (await fetch(`${promUrl}/api/v1/rules`)).json() as { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((group) => group.rules);
    expect(loaded.length).toBeGreaterThanOrEqual(10);
    expect(loaded.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`)).toEqual([]);

    // The rules see the same data: the dead letters and the google failure ratio make their alerts
    // pending (their `for:` keeps them from firing within the test); nothing says a process is down.
    const alerts = async () => {
      const result = await query('ALERTS');
      return result.ok ? result.samples.map((sample) => `${sample.metric['alertname'] ?? ''}{${sample.metric['queue'] ?? sample.metric['provider'] ?? ''}} ${sample.metric['alertstate'] ?? ''}`).sort() : [];
    };
    await expect.poll(alerts, { timeout: 15_000, interval: 500 }).toEqual(expect.arrayContaining([
      'CapConnectDeadLetterQueueGrowing{google} pending', 'CapConnectProviderFailureRatioHigh{google} pending',
    ]));
    expect((await alerts()).filter((alert) => /Down|Unreachable|Unavailable|Blocked|Auth/.test(alert))).toEqual([]);

    // promtool check metrics on what each process serves, after the traffic (every labelled series exists).
    for (const [name, url] of [['api', stack.api.metricsUrl], ...stack.workers.map((worker, index) => [`worker ${index + 1}`, worker.metricsUrl])] as const) {
      const text = await (await fetch(url)).text();
      const lint = await runTool('promtool', ['check', 'metrics'], text);
      expect(lint, `${name} ${url}`).toEqual({ status: 0, output: '' });
    }
  }, 90_000);
});
