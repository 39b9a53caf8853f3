import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_BURST, LOGIN_FAILURE_REFILL_MS, createSessions } from './auth.js';

const TOKEN = 'auth-test-token-0123456789abcdef';
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); });
});

/** The session guard in front of one protected route, on a clock the test moves. */
async function serve(clock: { ms: number }): Promise<string> {
  const sessions = createSessions(TOKEN, '/', 3_600_000, () => clock.ms);
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use((req, res, next) => { sessions.guard(req, res, next); });
  app.get('/api/queues', (_req, res) => { res.json({ ok: true }); });
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const login = (url: string, token: string) => fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
const bearer = (url: string, token: string) => fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${token}` } });

describe('dashboard login throttle', () => {
  it('refuses every token check with 429 after a burst of wrong ones, the right token too, until the allowance grows back', async () => {
    const clock = { ms: 1_800_000_000_000 };
    const url = await serve(clock);
    for (let attempt = 0; attempt < LOGIN_FAILURE_BURST; attempt += 1) {
      expect((await (attempt % 2 === 0 ? login(url, `wrong-${attempt}-0123456789`) : bearer(url, `wrong-${attempt}-0123456789`))).status).toBe(401);
    }
    for (const check of [login(url, 'wrong-again-0123456789'), login(url, TOKEN), bearer(url, TOKEN)]) {
      const refused = await check;
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe(String(LOGIN_FAILURE_REFILL_MS / 1000));
      const body = await refused.text();
      expect(body).not.toContain(TOKEN);
      expect(JSON.parse(body)).toEqual({ error: 'too_many_failed_logins', retryAfterSeconds: LOGIN_FAILURE_REFILL_MS / 1000 });
    }
    // One second before the interval ends, the wait left is 1 s.
    clock.ms += LOGIN_FAILURE_REFILL_MS - 1000;
    expect((await login(url, TOKEN)).headers.get('retry-after')).toBe('1');

    // One interval later one more try is allowed: the right token signs in and the cookie works.
    clock.ms += 1000;
    const signedIn = await login(url, TOKEN);
    expect(signedIn.status).toBe(303);
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await fetch(`${url}/api/queues`, { headers: { cookie } })).status).toBe(200);
    // A wrong token now uses the one regained try; the next check waits again, while the session still works.
    expect((await bearer(url, 'wrong-later-0123456789')).status).toBe(401);
    expect((await bearer(url, TOKEN)).status).toBe(429);
    expect((await fetch(`${url}/api/queues`, { headers: { cookie } })).status).toBe(200);

    // After a full burst's worth of intervals the whole allowance is back.
    clock.ms += LOGIN_FAILURE_BURST * LOGIN_FAILURE_REFILL_MS;
    for (let attempt = 0; attempt < LOGIN_FAILURE_BURST; attempt += 1) expect((await bearer(url, `wrong-b${attempt}-0123456789`)).status).toBe(401);
    expect((await bearer(url, TOKEN)).status).toBe(429);
  });

  it('never counts right tokens against the allowance', async () => {
    const url = await serve({ ms: 1_800_000_000_000 });
    for (let attempt = 0; attempt < 3 * LOGIN_FAILURE_BURST; attempt += 1) expect((await bearer(url, TOKEN)).status).toBe(200);
    expect((await login(url, TOKEN)).status).toBe(303);
  });
});
