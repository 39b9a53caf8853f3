#!/usr/bin/env node
// Static checks of deploy/: run `node deploy/check.mjs` from anywhere. Plain Node ESM, no dependencies.
//  - the dashboard: every panel uses the `datasource` variable, every query is valid PromQL (checked
//    by promtool as a recording rule) with no Grafana variable in it, and every catalogue metric is
//    on some panel;
//  - the alert rules and the dashboard only name metrics that packages/telemetry defines;
//  - .env.example documents every variable packages/config reads;
//  - promtool check config, check rules and test rules (skipped with a warning without promtool;
//    set CAPCONNECT_REQUIRE_PROMTOOL=1 to make that a failure).
// Exit code 0 when everything passes, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardQueries, grafanaVariables } from './dashboard-queries.mjs';

const deployDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(deployDir);
const read = (path) => readFileSync(join(root, path), 'utf8');
const failures = [];
const fail = (message) => failures.push(message);
const ok = (message) => console.log(`ok   ${message}`);

// --- the metric catalogue --------------------------------------------------------------------
const catalogueSource = ['packages/telemetry/src/metrics.ts', 'packages/telemetry/src/diagnostics-metrics.ts'].map(read).join('\n');
const catalogue = new Map(
  [...catalogueSource.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: '(capconnect_\w+)'/g)].map((m) => [m[2], m[1]]),
);
if (catalogue.size === 0) fail('no metric found in packages/telemetry/src/metrics.ts');
/** The catalogue metric a series name belongs to (histograms expose _bucket, _sum and _count). */
function catalogueMetric(series) {
  if (catalogue.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return catalogue.get(base) === 'Histogram' ? base : undefined;
}
const metricNames = (expr) => [...new Set(expr.match(/\bcapconnect_\w+/g) ?? [])];

// --- the dashboard ---------------------------------------------------------------------------
const dashboardPath = 'deploy/grafana/dashboards/capconnect.json';
const dashboard = JSON.parse(read(dashboardPath));
const queries = dashboardQueries(dashboard);
if (queries.length === 0) fail(`${dashboardPath}: no queries`);
const usesVariable = (datasource) => datasource?.uid === '${datasource}';
const walk = (panels, visit) => { for (const panel of panels ?? []) { visit(panel); walk(panel.panels, visit); } };
walk(dashboard.panels, (panel) => {
  if (panel.type === 'row') return;
  if (!usesVariable(panel.datasource)) fail(`dashboard panel "${panel.title}": datasource must be {uid: "\${datasource}"}`);
  for (const target of panel.targets ?? []) {
    if (!usesVariable(target.datasource)) fail(`dashboard panel "${panel.title}" ${target.refId}: datasource must be {uid: "\${datasource}"}`);
  }
});
if (!dashboard.templating?.list?.some((variable) => variable.name === 'datasource' && variable.type === 'datasource')) {
  fail('dashboard: the `datasource` variable is missing');
}
const onDashboard = new Set();
for (const { panel, expr } of queries) {
  const variables = grafanaVariables(expr);
  if (variables.length > 0) fail(`dashboard panel "${panel}": Grafana variables ${variables.join(', ')} cannot be evaluated by Prometheus`);
  for (const name of metricNames(expr)) {
    const metric = catalogueMetric(name);
    if (metric === undefined) fail(`dashboard panel "${panel}": ${name} is not in the metric catalogue`);
    else onDashboard.add(metric);
  }
}
for (const metric of catalogue.keys()) if (!onDashboard.has(metric)) fail(`dashboard: no panel shows ${metric}`);
ok(`dashboard: ${queries.length} queries checked against ${catalogue.size} catalogue metrics`);

// --- alert rules name only catalogue metrics ---------------------------------------------------
const alertsPath = 'deploy/prometheus/alerts.yml';
for (const name of metricNames(read(alertsPath))) {
  if (catalogueMetric(name) === undefined) fail(`${alertsPath}: ${name} is not in the metric catalogue`);
}
ok(`${alertsPath}: metric names`);

// --- .env.example ------------------------------------------------------------------------------
const configSource = read('packages/config/src/config.ts');
const schema = configSource.slice(configSource.indexOf('const envSchema'), configSource.indexOf('type Env'));
const variables = [...schema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
const envExample = read('.env.example');
for (const variable of variables) {
  if (!new RegExp(`^${variable}=`, 'm').test(envExample)) fail(`.env.example: ${variable} is not documented`);
}
if (variables.length === 0) fail('no variable found in packages/config/src/config.ts');
ok(`.env.example: ${variables.length} variables`);

// --- promtool ------------------------------------------------------------------------------------
function promtool(...args) {
  const result = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
  if (result.error) return false;
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status === 0) ok(`promtool ${args.join(' ')}`);
  else fail(`promtool ${args.join(' ')}:\n${output}`);
  return result.status === 0;
}
const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
if (version.error) {
  const message = 'promtool not found (Debian: apt-get install prometheus); config, rules and PromQL not checked';
  if (process.env.CAPCONNECT_REQUIRE_PROMTOOL === '1') fail(message);
  else console.warn(`WARN ${message}`);
} else {
  promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
  promtool('check', 'rules', alertsPath);
  promtool('test', 'rules', 'deploy/prometheus/alerts.test.yml');
  // promtool has no "check expression"; a recording rule per dashboard query gets the same parser.
  const scratch = mkdtempSync(join(tmpdir(), 'capconnect-check-'));
  try {
    const rules = queries.map(({ expr }, index) => `      - record: capconnect_dashboard_query_${index}\n        expr: ${JSON.stringify(expr)}\n`);
    const file = join(scratch, 'dashboard-queries.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('')}`);
    if (promtool('check', 'rules', file)) ok(`dashboard: ${queries.length} queries parse as PromQL`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL ${failure}`);
  process.exitCode = 1;
} else {
  console.log('all deploy checks passed');
}
