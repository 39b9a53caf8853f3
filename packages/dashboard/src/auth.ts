import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const COOKIE = 'capconnect_dashboard';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison: both sides are hashed first, so their lengths never leak either. */
export function tokenMatches(candidate: string, token: string): boolean {
  return timingSafeEqual(digest(candidate), digest(token));
}

function cookieValue(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(action: string, failed: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CapConnect queues: sign in</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0;background:#f4f5f7}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;display:grid;gap:.8rem;min-width:20rem}
input,button{font:inherit;padding:.5rem}</style></head><body>
<form method="post" action="${escapeHtml(action)}"><h1>CapConnect queues</h1>
<label>Dashboard token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
${failed ? '<p role="alert">That token is not valid.</p>' : ''}<button type="submit">Sign in</button></form></body></html>`;
}

/**
 * Wrong tokens a client address may present in a row before it must wait, and how often the
 * allowance grows back by one (10 a minute). A check during the wait is refused with 429 before the
 * token is compared, so guessing gets no faster by sending more (docs/decisions.md#dashboard-login-throttle).
 */
export const LOGIN_FAILURE_BURST = 10;
export const LOGIN_FAILURE_REFILL_MS = 6_000;
/** Client addresses tracked at once; past it the longest-tracked is forgotten. */
const MAX_TRACKED_CLIENTS = 10_000;

interface Allowance { left: number; atMs: number }

/** A per-address token bucket of failed token checks. */
function createFailureThrottle(now: () => number) {
  const clients = new Map<string, Allowance>();
  const current = (address: string): Allowance => {
    const stored = clients.get(address);
    const nowMs = now();
    if (stored === undefined) return { left: LOGIN_FAILURE_BURST, atMs: nowMs };
    const regained = Math.floor((nowMs - stored.atMs) / LOGIN_FAILURE_REFILL_MS);
    if (regained <= 0) return stored;
    const left = Math.min(LOGIN_FAILURE_BURST, stored.left + regained);
    return { left, atMs: left === LOGIN_FAILURE_BURST ? nowMs : stored.atMs + regained * LOGIN_FAILURE_REFILL_MS };
  };
  return {
    /** Seconds to wait before this address may present a token again; 0 when it may now. */
    waitSeconds(address: string): number {
      const allowance = current(address);
      if (allowance.left > 0) return 0;
      return Math.max(1, Math.ceil((allowance.atMs + LOGIN_FAILURE_REFILL_MS - now()) / 1000));
    },
    failed(address: string): void {
      const allowance = current(address);
      clients.delete(address);
      if (clients.size >= MAX_TRACKED_CLIENTS) clients.delete(clients.keys().next().value as string);
      clients.set(address, { left: Math.max(0, allowance.left - 1), atMs: allowance.atMs });
    },
  };
}

export interface Sessions {
  /** Express middleware: the login form and its POST, then every other request needs a session. */
  guard(req: Request, res: Response, next: NextFunction): void;
}

/**
 * Token login for a browser: the token (`DASHBOARD_TOKEN`) is posted once and exchanged for a random
 * session id in an `HttpOnly; SameSite=Strict` cookie; scripts may send `Authorization: Bearer`.
 * Sessions live in this process only and end after `sessionTtlMs`. Wrong tokens are throttled per
 * client address (LOGIN_FAILURE_BURST).
 */
export function createSessions(token: string, basePath: string, sessionTtlMs = 8 * 3600_000, now = Date.now): Sessions {
  const sessions = new Map<string, number>();
  const loginPath = `${basePath.replace(/\/$/, '')}/login`;
  const home = basePath.endsWith('/') ? basePath : `${basePath}/`;
  const valid = (id: string | undefined): boolean => {
    if (id === undefined) return false;
    const expiresAt = sessions.get(id);
    if (expiresAt === undefined) return false;
    if (expiresAt > now()) return true;
    sessions.delete(id);
    return false;
  };
  const throttle = createFailureThrottle(now);
  /** False (and 429 sent) while the client's address must wait after too many wrong tokens. */
  const mayTry = (address: string, res: Response): boolean => {
    const wait = throttle.waitSeconds(address);
    if (wait === 0) return true;
    res.setHeader('retry-after', String(wait));
    res.status(429).json({ error: 'too_many_failed_logins', retryAfterSeconds: wait });
    return false;
  };
  return {
    guard(req, res, next) {
      const path = req.originalUrl.split('?')[0];
      const address = req.socket.remoteAddress ?? 'unknown';
      if (path === loginPath && req.method === 'GET') {
        res.type('html').send(loginPage(loginPath, false));
        return;
      }
      if (path === loginPath && req.method === 'POST') {
        if (!mayTry(address, res)) return;
        const submitted = (req.body as { token?: unknown } | undefined)?.token;
        if (typeof submitted !== 'string' || !tokenMatches(submitted, token)) {
          throttle.failed(address);
          res.status(401).type('html').send(loginPage(loginPath, true));
          return;
        }
        const id = randomBytes(32).toString('base64url');
        sessions.set(id, now() + sessionTtlMs);
        const secure = req.secure ? '; Secure' : '';
        res.setHeader('set-cookie', `${COOKIE}=${id}; Path=${home}; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(sessionTtlMs / 1000)}${secure}`);
        res.redirect(303, home);
        return;
      }
      if (valid(cookieValue(req))) {
        next();
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (bearer !== undefined) {
        if (!mayTry(address, res)) return;
        if (tokenMatches(bearer, token)) {
          next();
          return;
        }
        throttle.failed(address);
      }
      if (req.method === 'GET' && !path?.includes('/api/')) {
        res.redirect(303, loginPath);
        return;
      }
      res.status(401).json({ error: 'unauthorized' });
    },
  };
}
