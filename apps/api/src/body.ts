import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './errors.js';

/**
 * Request bodies: JSON only, capped, read raw (the signature covers the exact bytes), then parsed
 * by us with structural limits checked before any schema sees the value. The limits are far above
 * what a valid ingest item needs (its own schema is stricter) and exist to bound the work a
 * hostile body can cause.
 */
export const JSON_LIMITS = {
  /** Nesting depth, counting the top-level value as 1 (a batch item's `customData` sits at 4). */
  maxDepth: 16,
  /** Elements of any nested array (a batch's own length is `BATCH_MAX_EVENTS`). */
  maxArrayLength: 1000,
  /** Keys of any object. */
  maxObjectKeys: 256,
  /** UTF-16 code units of any string, keys included. */
  maxStringLength: 8192,
} as const;

/**
 * Keys refused anywhere: they mean nothing in the contract and are the classic prototype-pollution
 * vectors. `JSON.parse` makes them own properties (harmless by itself), but refusing them keeps any
 * later merge or spread safe too.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Where the raw body is kept: under a symbol in the response's `locals`, a per-request dictionary
 * Express already made. A WeakMap entry per request is work for the garbage collector (an
 * ephemeron), and a new property on the request object reallocates its property store.
 */
const RAW_BODY = Symbol('capconnect.rawBody');
const EMPTY = Buffer.alloc(0);

function localsOf(req: Request): Record<symbol, unknown> | undefined {
  return req.res?.locals as Record<symbol, unknown> | undefined;
}

/** The raw bytes of the request body (empty when there was none). */
export function rawBodyOf(req: Request): Buffer {
  const raw = localsOf(req)?.[RAW_BODY];
  return Buffer.isBuffer(raw) ? raw : EMPTY;
}

function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  if (header === 'application/json') return true;
  const [mediaType = '', ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  const json = mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replaceAll('"', '');
  return json && (charset === undefined || charset === 'utf-8' || charset === 'utf8');
}

/** 415 unless the body is declared as UTF-8 JSON. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!isJsonMediaType(req.headers['content-type'])) {
    throw new HttpError(415, 'unsupported_media_type', 'the body must be JSON (content-type: application/json)');
  }
  next();
};

/** Reads the body as bytes, up to `limitBytes` (413 beyond; gzip, deflate and brotli bodies are inflated first, the limit applying to the inflated size). */
export function readRawBody(limitBytes: number): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit: limitBytes }),
    (req, _res, next) => {
      const body: unknown = req.body;
      const locals = localsOf(req);
      if (locals) locals[RAW_BODY] = Buffer.isBuffer(body) ? body : EMPTY;
      req.body = undefined;
      next();
    },
  ];
}

function fail(message: string): never {
  throw new HttpError(400, 'invalid_body', message);
}

/**
 * Checks one value and, depth first, what it holds. Recursion is bounded: a container deeper than
 * `maxDepth` fails before its contents are visited. Children are visited last to first, so with
 * several violations the one reported is the same as an explicit stack would find.
 */
function checkValue(value: unknown, depth: number, topLevelArrayMax: number): void {
  if (typeof value === 'string') {
    if (value.length > JSON_LIMITS.maxStringLength) fail(`a string is longer than ${JSON_LIMITS.maxStringLength} characters`);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth > JSON_LIMITS.maxDepth) fail(`the body is nested deeper than ${JSON_LIMITS.maxDepth} levels`);
  if (Array.isArray(value)) {
    const max = depth === 1 ? topLevelArrayMax : JSON_LIMITS.maxArrayLength;
    if (value.length > max) fail(`an array has more than ${max} elements`);
    for (let index = value.length - 1; index >= 0; index -= 1) checkValue((value as unknown[])[index], depth + 1, topLevelArrayMax);
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > JSON_LIMITS.maxObjectKeys) fail(`an object has more than ${JSON_LIMITS.maxObjectKeys} fields`);
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) fail('the body uses a reserved field name (__proto__, constructor or prototype)');
    if (key.length > JSON_LIMITS.maxStringLength) fail(`a field name is longer than ${JSON_LIMITS.maxStringLength} characters`);
  }
  for (let index = keys.length - 1; index >= 0; index -= 1) checkValue((value as Record<string, unknown>)[keys[index] ?? ''], depth + 1, topLevelArrayMax);
}

/** Throws a 400 when `value` breaks a structural limit or uses a forbidden key. */
export function checkJsonLimits(value: unknown, topLevelArrayMax: number = JSON_LIMITS.maxArrayLength): void {
  checkValue(value, 1, topLevelArrayMax);
}

/**
 * Parses the raw body as JSON; 400 when it is empty, malformed or breaks a limit, 413 when a
 * top-level array is longer than `topLevelArrayMax` (a batch over `BATCH_MAX_EVENTS`).
 */
export function parseJsonBody(req: Request, topLevelArrayMax?: number): unknown {
  let raw = rawBodyOf(req);
  // A UTF-8 byte order mark before JSON text may be ignored by parsers (https://www.rfc-editor.org/rfc/rfc8259#section-8.1),
  // and some Windows tools always write one.
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) raw = raw.subarray(3);
  if (raw.length === 0) throw new HttpError(400, 'malformed_json', 'the request body is empty');
  let value: unknown;
  try {
    // A JSON.parse error message quotes the input, so it is dropped, never forwarded.
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'the request body is not valid JSON');
  }
  if (topLevelArrayMax !== undefined && Array.isArray(value) && value.length > topLevelArrayMax) {
    throw new HttpError(413, 'too_many_events', `a batch holds at most ${topLevelArrayMax} events`);
  }
  checkJsonLimits(value, topLevelArrayMax);
  return value;
}
