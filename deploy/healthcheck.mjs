// Container health check for the one image that runs api, worker or cli (Node's fetch: slim images
// have no curl). Usage: node healthcheck.mjs [api|worker|cli]; without an argument it finds which
// service this container runs from the processes' command lines (the HEALTHCHECK runs beside it and
// does not inherit the entry point's arguments).
//   api:    GET http://127.0.0.1:$PORT/healthz          (PORT default 3000)
//   worker: GET http://127.0.0.1:$METRICS_PORT/healthz  (METRICS_PORT default 9465)
//   cli:    one-shot commands have nothing to probe; healthy.
import { readFileSync, readdirSync } from 'node:fs';

const TIMEOUT_MS = 3000;

function detectService() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let commandLine;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // the process ended or is not ours
    }
    const match = /\/(api|worker|cli)\/dist\/main\.js\b/.exec(commandLine);
    if (match) return match[1];
  }
  return undefined;
}

function targetOf(service) {
  if (service === 'api') return [`http://127.0.0.1:${process.env.PORT || 3000}/healthz`];
  // The worker has no HTTP API; its metrics server is what Prometheus and the orchestrator can reach.
  const port = process.env.METRICS_PORT || 9465;
  if (service === 'worker') return [`http://127.0.0.1:${port}/healthz`, `http://127.0.0.1:${port}/metrics`];
  return [];
}

async function main() {
  const service = process.argv[2] ?? detectService();
  if (service === undefined) {
    console.error('healthcheck: no api, worker or cli process found');
    return 1;
  }
  const [primary, fallback] = targetOf(service);
  if (primary === undefined) return 0;
  try {
    let response = await fetch(primary, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    // A worker without a /healthz route is still alive if its metrics endpoint answers.
    if (response.status === 404 && fallback) response = await fetch(fallback, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.ok) return 0;
    console.error(`healthcheck: ${service} answered ${response.status}`);
    return 1;
  } catch (error) {
    const reason = error instanceof Error ? (error.cause?.code ?? error.name) : 'error';
    console.error(`healthcheck: ${service} did not answer (${reason})`);
    return 1;
  }
}

process.exitCode = await main();
