import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { SANDBOX_DEFAULTS } from './options.js';
import { startSandbox } from './server.js';

export interface ThroughputOptions {
  /**
   * Which fake to load.
   * @defaultValue `'meta'`
   */
  provider?: 'meta' | 'google';
  /**
   * Requests to send, a count.
   * @defaultValue 40
   */
  batches?: number;
  /**
   * Events (Meta) or rows (Google) per request.
   * @defaultValue 1000 (Meta), 2000 (Google)
   */
  batchSize?: number;
  /**
   * Requests in flight at once, a count.
   * @defaultValue 2
   */
  concurrency?: number;
  /**
   * Base URL of a running sandbox with default ids.
   * @defaultValue none: a private sandbox is started in this process
   */
  url?: string;
}

export interface ThroughputResult {
  provider: 'meta' | 'google';
  batches: number;
  batchSize: number;
  events: number;
  /** Events the sandbox accepted (must equal `events`). */
  accepted: number;
  elapsedMs: number;
  eventsPerSecond: number;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function metaBody(batch: number, size: number, nowS: number): string {
  const data = [];
  for (let i = 0; i < size; i++) {
    data.push({
      event_name: 'Purchase', event_time: nowS - 60, event_id: `bench-${batch}-${i}`, action_source: 'website',
      event_source_url: 'https://shop.example.com/thank-you',
      user_data: {
        em: [sha(`user${i}@example.com`)], ph: [sha(`8190${i}`)], external_id: [sha(`u${i}`)],
        client_ip_address: '203.0.113.7', client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Bench/1.0',
        fbc: 'fb.1.1700000000000.IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB', fbp: `fb.1.1700000000000.${1000 + i}`,
      },
      custom_data: { value: 4980, currency: 'JPY' },
    });
  }
  return JSON.stringify({ data, access_token: SANDBOX_DEFAULTS.meta.accessToken });
}

function googleBody(batch: number, size: number): string {
  const cid = SANDBOX_DEFAULTS.google.customerId;
  const action = `customers/${cid}/conversionActions/${SANDBOX_DEFAULTS.google.conversionActionIds[0]}`;
  const when = new Date(Date.now() - 3_600_000).toISOString().slice(0, 19).replace('T', ' ') + '+00:00';
  const conversions = [];
  for (let i = 0; i < size; i++) {
    conversions.push({
      conversionAction: action, conversionDateTime: when, orderId: `bench-${batch}-${i}`, conversionValue: 4980, currencyCode: 'JPY',
      gclid: `Cj0KCQbench${batch}x${i}`,
      userIdentifiers: [{ hashedEmail: sha(`user${i}@example.com`) }, { hashedPhoneNumber: sha(`+8190${i}`) }],
      consent: { adUserData: 'GRANTED' },
    });
  }
  return JSON.stringify({ conversions, partialFailure: true });
}

function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(text);
        else reject(new Error(`sandbox answered ${String(res.statusCode)}: ${text.slice(0, 300)}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Events/s the sandbox accepts over loopback, client and server sharing this process (so one core does
 * both: a conservative figure). Bodies are serialized before the clock starts. For `pnpm bench`.
 */
export async function measureThroughput(options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const provider = options.provider ?? 'meta';
  const batches = options.batches ?? 40;
  const batchSize = options.batchSize ?? (provider === 'meta' ? 1000 : 2000);
  const concurrency = options.concurrency ?? 2;
  const own = options.url === undefined ? await startSandbox() : undefined;
  const base = options.url ?? own?.url ?? '';
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const nowS = Math.floor(Date.now() / 1000);
    const bodies = Array.from({ length: batches }, (_, b) => (provider === 'meta' ? metaBody(b, batchSize, nowS) : googleBody(b, batchSize)));
    const d = SANDBOX_DEFAULTS;
    const url = provider === 'meta'
      ? new URL(`/${d.meta.apiVersion}/${d.meta.pixelId}/events`, base)
      : new URL(`/${d.google.apiVersion}/customers/${d.google.customerId}:uploadClickConversions`, base);
    const headers: Record<string, string> = provider === 'meta' ? {} : {
      authorization: `Bearer ${d.google.staticAccessToken}`, 'developer-token': d.google.developerToken,
    };
    let accepted = 0;
    let next = 0;
    const started = process.hrtime.bigint();
    const worker = async (): Promise<void> => {
      for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) {
        const text = await post(agent, url, body, headers);
        const parsed = JSON.parse(text) as { events_received?: number; results?: object[]; partialFailureError?: unknown };
        if (parsed.partialFailureError !== undefined) throw new Error('benchmark rows were rejected');
        accepted += parsed.events_received ?? parsed.results?.length ?? 0;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const events = batches * batchSize;
    return { provider, batches, batchSize, events, accepted, elapsedMs, eventsPerSecond: Math.round(events / (elapsedMs / 1000)) };
  } finally {
    agent.destroy();
    await own?.close();
  }
}
