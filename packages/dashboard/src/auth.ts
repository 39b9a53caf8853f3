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

export interface Sessions {
  /** Express middleware: the login form and its POST, then every other request needs a session. */
  guard(req: Request, res: Response, next: NextFunction): void;
}

/**
 * Token login for a browser: the token (`DASHBOARD_TOKEN`) is posted once and exchanged for a random
 * session id in an `HttpOnly; SameSite=Strict` cookie; scripts may send `Authorization: Bearer`.
 * Sessions live in this process only and end after `sessionTtlMs`.
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
  return {
    guard(req, res, next) {
      const path = req.originalUrl.split('?')[0];
      if (path === loginPath && req.method === 'GET') {
        res.type('html').send(loginPage(loginPath, false));
        return;
      }
      if (path === loginPath && req.method === 'POST') {
        const submitted = (req.body as { token?: unknown } | undefined)?.token;
        if (typeof submitted !== 'string' || !tokenMatches(submitted, token)) {
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
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (valid(cookieValue(req)) || (bearer !== undefined && tokenMatches(bearer, token))) {
        next();
        return;
      }
      if (req.method === 'GET' && !path?.includes('/api/')) {
        res.redirect(303, loginPath);
        return;
      }
      res.status(401).json({ error: 'unauthorized' });
    },
  };
}
