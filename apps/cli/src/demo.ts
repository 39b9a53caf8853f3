import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { japaneseCustomer, usCustomer } from './demo-customers.js';
import { readLocalStack, redisAnswers, redisHelp } from './local-stack.js';
import { EXIT, formatTable, writeLine, type Io } from './output.js';
import { startStack, type Stack } from './stack.js';

/**
 * `capconnect demo` (`pnpm demo`): sends a realistic mix of events through a running local stack
 * (or one it starts for the occasion), waits for the providers' outcomes, and prints what happened
 * to each case, what each provider received, and the delivery latency.
 */

interface Target {
  apiUrl: string;
  token: string;
  sandboxUrl?: string;
  metricsUrls: string[];
}

interface CaseResult {
  name: string;
  httpStatus: number;
  eventId: string;
  expectation: string;
  meta: string;
  google: string;
}

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

function webEvent(eventName: string, eventId: string, value: number, currency: string, extra: Record<string, unknown> = {}) {
  return {
    eventName, eventId, orderId: eventId, value, currency, actionSource: 'website',
    eventSourceUrl: 'https://shop.example.com/thank-you', clientIpAddress: '203.0.113.7',
    clientUserAgent: 'Mozilla/5.0 (demo)', fbp: `fb.1.${Date.now()}.1234567890`, gclid: `Cj0KCQ-demo-${eventId}`, ...extra,
  };
}

async function post(target: Target, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${target.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-capconnect-token': target.token },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

interface StatusEntry { provider: string; state: string; reason?: string; finishedAt?: number }

async function statusOf(target: Target, eventId: string): Promise<StatusEntry[]> {
  const response = await fetch(`${target.apiUrl}/v1/events/${encodeURIComponent(eventId)}`, { headers: { 'x-capconnect-token': target.token } });
  if (!response.ok) return [];
  const body = await response.json() as { destinations?: StatusEntry[] };
  return body.destinations ?? [];
}

function describe(entries: StatusEntry[], provider: string, skipped: { provider: string; reason: string }[]): string {
  const skip = skipped.find((entry) => entry.provider === provider);
  if (skip) return `skipped: ${skip.reason}`;
  const entry = entries.find((candidate) => candidate.provider === provider);
  if (!entry) return '-';
  return entry.reason ? `${entry.state}: ${entry.reason}` : entry.state;
}

export async function demoCommand(io: Io, env: NodeJS.ProcessEnv, options: { cwd: string; timeoutS?: number }): Promise<number> {
  let stack: Stack | undefined;
  let target: Target | undefined;
  const running = readLocalStack(options.cwd);
  if (running) {
    try {
      if ((await fetch(`${running.apiUrl}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) {
        target = { apiUrl: running.apiUrl, token: running.token, metricsUrls: [running.apiMetricsUrl, ...running.workerMetricsUrls], ...(running.sandboxUrl !== undefined && { sandboxUrl: running.sandboxUrl }) };
        writeLine(io.out, `using the running local stack at ${running.apiUrl}`);
      }
    } catch {
      // stale state file: start our own stack below
    }
  }
  if (!target) {
    const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (!(await redisAnswers(redisUrl))) {
      writeLine(io.err, redisHelp(redisUrl));
      return EXIT.unavailable;
    }
    writeLine(io.out, 'no local stack is running: starting one for the demo (api, worker, sandbox)…');
    stack = await startStack({ redisUrl, workers: 1, env: { LOG_LEVEL: 'warn' } });
    target = { apiUrl: stack.apiUrl, token: stack.webhookSecret, metricsUrls: [stack.api.metricsUrl, ...stack.workers.map((w) => w.metricsUrl)], ...(stack.sandbox && { sandboxUrl: stack.sandbox.url }) };
  }
  try {
    return await runDemo(io, target, options.timeoutS ?? 20);
  } finally {
    await stack?.stop();
  }
}

async function runDemo(io: Io, target: Target, timeoutS: number): Promise<number> {
  const run = randomBytes(3).toString('hex');
  const id = (name: string) => `demo-${run}-${name}`;
  const before = target.sandboxUrl ? await sandboxCounts(target.sandboxUrl) : undefined;
  const cases: (CaseResult & { skipped: { provider: string; reason: string }[]; sentAt: number })[] = [];

  const single = async (name: string, expectation: string, body: Record<string, unknown>) => {
    const sentAt = Date.now();
    const { status, json } = await post(target, '/v1/collect', body);
    const answer = json as { eventId?: string; status?: string; skipped?: { provider: string; reason: string }[]; error?: string };
    cases.push({ name: answer.status === 'duplicate' ? `${name} → duplicate` : name, httpStatus: status, eventId: answer.eventId ?? '-', expectation, meta: answer.error ?? '', google: answer.error ?? '', skipped: answer.skipped ?? [], sentAt });
  };

  await single('JP purchase (website)', 'both providers', { customer: japaneseCustomer(1), event: webEvent('Purchase', id('jp-1'), 4980, 'JPY') });
  await single('US lead, pre-hashed email', 'both providers', {
    customer: { ...usCustomer(2), email: sha('jane.doe@example.com') },
    event: webEvent('Lead', id('us-2'), 0, 'USD'),
  });
  await single('stale event (8 days old)', 'Meta skips (7-day window)', {
    customer: usCustomer(3), event: webEvent('Purchase', id('stale-3'), 120, 'USD', { eventTime: Math.floor(Date.now() / 1000) - 8 * 86_400 }),
  });
  await single('duplicate of the JP purchase', 'status duplicate, queued once', { customer: japaneseCustomer(1), event: webEvent('Purchase', id('jp-1'), 4980, 'JPY') });
  await single('invalid: event 1 day in the future', '400, names the field', {
    customer: usCustomer(5), event: webEvent('Purchase', id('future-5'), 10, 'USD', { eventTime: Math.floor(Date.now() / 1000) + 86_400 }),
  });

  const batchItems: unknown[] = [];
  for (let index = 0; index < 6; index += 1) {
    const customer = index % 2 === 0 ? japaneseCustomer(10 + index) : usCustomer(10 + index);
    batchItems.push({ customer, event: webEvent(index % 3 === 0 ? 'Lead' : 'Purchase', id(`batch-${index}`), 1000 + index, index % 2 === 0 ? 'JPY' : 'USD') });
  }
  batchItems.push({ customer: { ...usCustomer(20), email: 'not-an-email' }, event: webEvent('Purchase', id('batch-bad-email'), 5, 'USD') });
  batchItems.push({ customer: usCustomer(21), event: { orderId: 'missing-event-name' } });
  const batchSentAt = Date.now();
  const batch = await post(target, '/v1/collect/batch', batchItems);
  const batchAnswer = batch.json as { results?: { index: number; status: string; eventId?: string; skipped?: { provider: string; reason: string }[]; warnings?: { field: string; code: string }[] }[]; validationErrors?: { index: number }[] };
  for (const result of batchAnswer.results ?? []) {
    if (result.eventId === undefined) continue; // invalid items are listed from validationErrors below
    const index = result.index;
    const warning = result.warnings?.[0];
    cases.push({
      name: `batch item ${index}${warning ? ` (${warning.field}: ${warning.code})` : ''}`, httpStatus: batch.status, eventId: result.eventId,
      expectation: warning ? 'delivered without the bad value' : 'both providers', meta: '', google: '', skipped: result.skipped ?? [], sentAt: batchSentAt,
    });
  }
  for (const error of batchAnswer.validationErrors ?? []) {
    cases.push({ name: `batch item ${error.index} (no eventName)`, httpStatus: batch.status, eventId: '-', expectation: 'validationErrors, others unaffected', meta: 'invalid', google: 'invalid', skipped: [], sentAt: batchSentAt });
  }

  // Wait for every queued case to reach a final state.
  const deadline = Date.now() + timeoutS * 1000;
  const latencies: number[] = [];
  for (const entry of cases) {
    if (entry.eventId === '-' || entry.httpStatus >= 400) continue;
    let statuses: StatusEntry[] = [];
    while (Date.now() < deadline) {
      statuses = await statusOf(target, entry.eventId);
      if (statuses.length > 0 && statuses.every((status) => ['sent', 'failed', 'expired'].includes(status.state))) break;
      await sleep(200);
    }
    entry.meta = describe(statuses, 'meta', entry.skipped);
    entry.google = describe(statuses, 'google', entry.skipped);
    for (const status of statuses) if (status.state === 'sent' && status.finishedAt !== undefined && !entry.name.endsWith('→ duplicate')) latencies.push(status.finishedAt - entry.sentAt);
  }

  writeLine(io.out, '');
  writeLine(io.out, formatTable(['case', 'http', 'meta', 'google', 'expected'], cases.map((entry) => [entry.name, entry.httpStatus, entry.meta, entry.google, entry.expectation])));
  if (target.sandboxUrl && before) {
    const after = await sandboxCounts(target.sandboxUrl);
    writeLine(io.out, '\nwhat the sandbox providers received during the demo:');
    writeLine(io.out, formatTable(['provider', 'requests', 'events accepted', 'deduplicated', 'rejected'], (['meta', 'google'] as const).map((provider) => [
      provider, after[provider].requests - before[provider].requests, after[provider].accepted - before[provider].accepted,
      after[provider].deduplicated - before[provider].deduplicated, after[provider].rejected - before[provider].rejected,
    ])));
  }
  if (latencies.length > 0) {
    const sorted = latencies.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    writeLine(io.out, `\ndelivery latency (post → provider acknowledgement, ${sorted.length} deliveries): p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);
  }
  writeLine(io.out, '\nwhere to look next:');
  for (const url of target.metricsUrls) writeLine(io.out, `  ${url}`);
  writeLine(io.out, '  capconnect stats, capconnect failed list');
  const delivered = cases.filter((entry) => entry.meta === 'sent' || entry.google === 'sent').length;
  return delivered > 0 ? EXIT.ok : EXIT.failure;
}

interface Counts { requests: number; accepted: number; deduplicated: number; rejected: number }

interface DataManagerCounts { requests: number; accepted: number; restatements: number; invalid: number }

/** Google counts both Google fakes: the Data Manager one (the default path) and the Google Ads one (legacy). */
async function sandboxCounts(sandboxUrl: string): Promise<Record<'meta' | 'google', Counts>> {
  const state = await (await fetch(`${sandboxUrl}/__control/state?events=false`)).json() as Record<'meta' | 'google', Counts> & { dataManager?: DataManagerCounts };
  const dm = state.dataManager ?? { requests: 0, accepted: 0, restatements: 0, invalid: 0 };
  return {
    meta: state.meta,
    google: {
      requests: state.google.requests + dm.requests, accepted: state.google.accepted + dm.accepted,
      deduplicated: state.google.deduplicated + dm.restatements, rejected: state.google.rejected + dm.invalid,
    },
  };
}
