import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body read, in bytes: 1000 rich Meta events stay well below it. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole body as UTF-8, refusing more than `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `application/x-www-form-urlencoded` → plain object (last value wins). */
export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(text)) out[key] = value;
  return out;
}

export function isFormEncoded(headers: IncomingMessage['headers']): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** JSON.parse that returns `undefined` instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A Graph-style `fbtrace_id` (11 URL-safe characters). */
export function newTraceId(): string {
  return randomBytes(8).toString('base64url').slice(0, 11);
}

/** A Google-style `request-id` (22 URL-safe characters). */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value that looks like a SHA-256 digest (what CapConnect sends: lowercase hex). */
export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Case-insensitive variant, for "this raw field must not look hashed" checks. */
export const LOOKS_HASHED = /^[0-9a-fA-F]{64}$/;

/** What a handler answers; the server writes it (or a fault replaces it). */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the router hands a provider handler. */
export interface IncomingCall {
  method: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}
