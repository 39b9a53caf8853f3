import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCanaries, freeLocalPort, startPrivateRedis, type PrivateRedis } from '@capconnect/testkit';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startNode, until, type Child } from './processes.js';

/**
 * `capconnect dashboard` end to end: the built api queues events full of canary customer values,
 * a worker fails some of them into the dead-letter queue, and the dashboard then serves every
 * queue. Every page and API response is searched for the canaries, and headless Chromium signs in
 * and renders the queues (screenshot: docs/dashboard.png, refreshed with CAPCONNECT_UPDATE_SCREENSHOT=1).
 */

const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.CI !== 'true') {
  process.stdout.write(`dashboard browser test skipped: ${CHROMIUM} not found (apt-get install chromium)\n`);
}

const CANARIES = {
  email: 'Dashcanary.Person@canary-dash-zq.example',
  phone: '090-7717-4242',
  firstName: 'Dashcanaryfirst',
  lastName: 'Dashcanarylast',
  city: 'Dashcanarycity',
  street: '42 Dashcanary Street',
  ip: '198.51.100.142',
  userAgent: 'DashCanaryAgent/4.2',
  gclid: 'DashCanaryGclid42',
  fbc: 'fb.1.1700000000000.IwAR-dashcanary',
  url: 'https://dashcanary-shop.example/thanks',
};
const SEARCH = [...Object.values(CANARIES), 'canary-dash-zq', '9077174242', 'dashcanary'];
const TOKEN = randomBytes(24).toString('base64url');
const WEBHOOK_SECRET = randomBytes(24).toString('base64url');
const emailDigest = createHash('sha256').update(CANARIES.email.toLowerCase()).digest();
/** Jobs pack their digests as base64url (job schema v3, docs/architecture.md#job-schema); the email's comes first. */
const packedEmailDigest = emailDigest.toString('base64url').slice(0, 40);

let redis: PrivateRedis;
const children: Child[] = [];
let apiUrl = '';
let dashboardUrl = '';

function event(eventId: string) {
  return {
    customer: {
      email: CANARIES.email, phone: CANARIES.phone, firstName: CANARIES.firstName, lastName: CANARIES.lastName,
      city: CANARIES.city, streetAddress: CANARIES.street, country: 'JP',
    },
    event: {
      eventName: 'Purchase', eventId, eventTime: Math.floor(Date.now() / 1000) - 30, value: 12, currency: 'JPY', actionSource: 'website',
      eventSourceUrl: CANARIES.url, clientIpAddress: CANARIES.ip, clientUserAgent: CANARIES.userAgent, fbc: CANARIES.fbc, gclid: CANARIES.gclid,
    },
    consent: { adUserData: 'granted' },
  };
}

async function send(count: number, idPrefix: string): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(`${apiUrl}/v1/collect`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-capconnect-token': WEBHOOK_SECRET }, body: JSON.stringify(event(`${idPrefix}-${index}`)),
    });
    expect(response.status).toBe(202);
  }
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${dashboardUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status, path).toBe(200);
  return await response.json() as T;
}

interface QueuesBody { queues: { name: string; counts: Record<string, number>; jobs: { id: string }[] }[] }

beforeAll(async () => {
  redis = await startPrivateRedis();
  const deadPort = await freeLocalPort(); // nothing listens: every delivery fails at once
  const env = {
    REDIS_URL: redis.url, WEBHOOK_SECRET, QUEUE_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'warn',
    META_PIXEL_ID: '1234567890', META_ACCESS_TOKEN: 'test-token', META_API_BASE_URL: `http://127.0.0.1:${deadPort}`,
    GOOGLE_CUSTOMER_ID: '1234567890', GOOGLE_DEVELOPER_TOKEN: 'dev-token', GOOGLE_OAUTH_ACCESS_TOKEN: 'access-token',
    GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click', GOOGLE_ADS_API_BASE_URL: `http://127.0.0.1:${deadPort}`,
    RETRY_MAX_ATTEMPTS: '1', BATCH_LINGER_MS: '10',
  };
  const apiPort = await freeLocalPort();
  children.push(startNode('apps/api/dist/main.js', [], { ...env, PORT: String(apiPort), METRICS_PORT: String(await freeLocalPort()) }));
  apiUrl = `http://127.0.0.1:${apiPort}`;
  await until('the api', async () => (await fetch(`${apiUrl}/readyz`)).ok);

  // Dead letters first (a worker whose deliveries all fail), then jobs left waiting.
  const worker = startNode('apps/worker/dist/main.js', [], { ...env, METRICS_PORT: String(await freeLocalPort()) });
  children.push(worker);
  await send(3, 'failed');
  const dashboardPort = await freeLocalPort();
  children.push(startNode('apps/cli/dist/main.js', ['--redis-url', redis.url, 'dashboard', '--port', String(dashboardPort)], { DASHBOARD_TOKEN: TOKEN }));
  dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  await until('the dashboard', async () => (await fetch(`${dashboardUrl}/login`)).ok);
  await until('dead letters', async () => {
    const body = await api<QueuesBody>('/api/queues');
    return body.queues.length === 2 && body.queues.every((queue) => (queue.counts.failed ?? 0) === 3);
  });
  await worker.stop();
  await send(2, 'waiting');
}, 120_000);

afterAll(async () => {
  await Promise.all(children.splice(0).map((child) => child.stop()));
  await redis.dispose();
});

describe('capconnect dashboard', () => {
  it('shows digests and sealed blobs, and no canary value, on any page or API response', async () => {
    const texts: string[] = [];
    const body = await api<QueuesBody>('/api/queues');
    expect(body.queues.map((queue) => queue.name).sort()).toEqual(['{capconnect}:google', '{capconnect}:meta']);
    texts.push(JSON.stringify(body));
    let jobsSeen = 0;
    for (const queue of body.queues) {
      for (const status of ['latest', 'waiting', 'failed', 'completed', 'delayed', 'active']) {
        const page = await api<QueuesBody>(`/api/queues?activeQueue=${encodeURIComponent(queue.name)}&status=${status}&page=1&jobsPerPage=50`);
        texts.push(JSON.stringify(page));
        for (const job of page.queues.find((entry) => entry.name === queue.name)?.jobs ?? []) {
          jobsSeen += 1;
          texts.push(JSON.stringify(await api(`/api/queues/${encodeURIComponent(queue.name)}/${encodeURIComponent(job.id)}`)));
          texts.push(JSON.stringify(await api(`/api/queues/${encodeURIComponent(queue.name)}/${encodeURIComponent(job.id)}/logs`)));
        }
      }
      texts.push(await (await fetch(`${dashboardUrl}/queue/${encodeURIComponent(queue.name)}`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
    }
    texts.push(await (await fetch(`${dashboardUrl}/login`)).text());
    const all = texts.join('\n');
    expect(jobsSeen).toBeGreaterThanOrEqual(10);
    // The job data is there — as the digest of the normalized email — but no raw value is.
    expect(all).toContain(packedEmailDigest);
    expect(findCanaries(all, SEARCH)).toEqual([]);
  });

  it.runIf(browserAvailable || process.env.CI === 'true')('signs in and renders every queue in headless Chromium', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'capconnect-chromium-'));
    let browser: BrowserContext | undefined;
    try {
      // A throw-away profile directory (playwright passes it as --user-data-dir).
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 800 },
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
      const page = await browser.newPage();
      await page.goto(`${dashboardUrl}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('input[name=token]', TOKEN);
      await Promise.all([page.waitForURL(`${dashboardUrl}/`), page.click('button[type=submit]')]);
      await page.getByText('{capconnect}:meta').first().waitFor({ timeout: 15_000 });
      await page.getByText('{capconnect}:google').first().waitFor({ timeout: 15_000 });
      const overview = await page.content();

      // The dead-letter tab of the Meta queue: its jobs render with their data (digests, sealed blob).
      await page.goto(`${dashboardUrl}/queue/${encodeURIComponent('{capconnect}:meta')}?status=failed`);
      await page.getByText('deliver').first().waitFor({ timeout: 15_000 });
      await page.getByRole('tab', { name: 'Data' }).first().click();
      // Job schema v3: the event under `e`, the packed digests in `d` (the email's first), the match fields sealed in `s`.
      await page.getByText('ingestedAt').first().waitFor({ timeout: 15_000 });
      await page.getByText(packedEmailDigest).first().waitFor({ timeout: 15_000 });
      const failedPage = await page.content();
      // The screenshot in docs/ is refreshed on request only, so a test run leaves the work tree clean.
      const shot = process.env.CAPCONNECT_UPDATE_SCREENSHOT === '1' ? join(repoRoot, 'docs/dashboard.png') : join(profile, 'dashboard.png');
      mkdirSync(join(shot, '..'), { recursive: true });
      await page.screenshot({ path: shot });
      expect(findCanaries(`${overview}\n${failedPage}`, SEARCH)).toEqual([]);
    } finally {
      await browser?.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
