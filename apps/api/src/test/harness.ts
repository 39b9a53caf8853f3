import { loadConfig, type Config } from '@capconnect/config';
import { createKeyring, generateKeyText } from '@capconnect/core';
import { OutcomeEvents, Producer, createRedisConnection } from '@capconnect/queue';
import { createLogger, createMetrics, memoryDestination, type Metrics } from '@capconnect/telemetry';
import { freshPrefix, testRedisUrl } from '@capconnect/testkit';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { createApp } from '../app.js';
import { redisSignatureLedger } from '../replay.js';
import { createWaitGate, type WaitGate } from '../wait.js';

export const SECRET = 'first-secret-0123456789abcdef';
export const ROTATED_SECRET = 'second-secret-0123456789abcdef';
export const SIGNING_SECRET = 'signing-secret-0123456789abcdef';
export const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WEBHOOK_SECRET: `${SECRET},${ROTATED_SECRET}`,
    QUEUE_ENCRYPTION_KEY: generateKeyText(),
    REDIS_URL: testRedisUrl(),
    META_PIXEL_ID: '1234567890',
    META_ACCESS_TOKEN: 'meta-token-for-tests',
    GOOGLE_CUSTOMER_ID: '1234567890',
    GOOGLE_DEVELOPER_TOKEN: 'dev-token-for-tests',
    GOOGLE_OAUTH_ACCESS_TOKEN: 'oauth-token-for-tests',
    GOOGLE_CONVERSION_ACTIONS: 'Purchase=111:click,Lead=222:click',
    BATCH_MAX_EVENTS: '50',
    BODY_LIMIT_BYTES: String(256 * 1024),
    PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

export interface Harness {
  app: Express;
  config: Config;
  producer: Producer;
  prefix: string;
  redisUrl: string;
  metrics: Metrics;
  registry: Registry;
  logLines: string[];
  waitGate: WaitGate;
  /** Settlement notices, when the harness was started with `outcomeEvents: true`. */
  outcomes?: OutcomeEvents;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  redisUrl?: string;
  clock?: () => number;
  /** Give `?wait=` the settlement notices the server wires (default: waits poll). */
  outcomeEvents?: boolean;
}

/** A createApp instance on its own BullMQ prefix, with an in-memory log and its own registry. */
export function startHarness(options: HarnessOptions = {}): Harness {
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const config = loadConfig(testEnv({ REDIS_URL: redisUrl, ...options.env }), { service: 'api' });
  const prefix = freshPrefix();
  const connection = createRedisConnection(redisUrl, 'producer');
  connection.on('error', () => undefined);
  const producer = new Producer({
    connection, prefix,
    keyring: createKeyring(config.queueEncryptionKey),
    policy: { maxAttempts: 3, completedRetentionS: 600, failedRetentionS: 600 },
  });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const destination = memoryDestination();
  const logger = createLogger({ service: 'api', destination });
  const waitGate = createWaitGate(config.waitMaxConcurrent);
  const outcomes = options.outcomeEvents === true ? new OutcomeEvents({ connect: () => createRedisConnection(redisUrl, 'worker'), prefix }) : undefined;
  const app = createApp({
    config, producer, metrics, logger, clock: options.clock ?? (() => NOW_MS), waitGate, outcomes,
    signatureLedger: redisSignatureLedger(connection, prefix, () => producer.awaitReady(500)),
  });
  return {
    app, config, producer, prefix, redisUrl, metrics, registry, logLines: destination.lines, waitGate,
    ...(outcomes && { outcomes }),
    close: async () => { await outcomes?.close(); await producer.close(); connection.disconnect(); },
  };
}

/** A complete event both providers take. */
export function purchase(eventId: string, overrides: { customer?: Record<string, unknown>; event?: Record<string, unknown> } = {}) {
  return {
    customer: { email: 'alice@example.com', phone: '090-1234-5678', ...overrides.customer },
    event: {
      eventName: 'Purchase', eventId, eventTime: Math.floor(NOW_MS / 1000) - 60, value: 4980, currency: 'JPY', orderId: eventId,
      actionSource: 'website', eventSourceUrl: 'https://shop.example.com/thanks', clientUserAgent: 'Mozilla/5.0 test',
      clientIpAddress: '203.0.113.7', gclid: 'Cj0KCQ-test',
      ...overrides.event,
    },
  };
}

/** A response body as the tests read it: every field any route may answer, all optional. */
export interface ApiBody {
  error?: string;
  message?: string;
  issues?: { path: string; message: string }[];
  eventId?: string;
  status?: string;
  accepted?: boolean;
  index?: number;
  destinations?: { provider: string; jobId?: string; state?: string; attempts?: number; reason?: string; httpStatus?: number; reference?: string; job?: Record<string, unknown> }[];
  skipped?: { provider: string; reason: string }[];
  warnings?: { field: string; code: string }[];
  results?: ApiBody[] & { provider?: string }[];
  validationErrors?: { index: number; issues: { path: string; message: string }[] }[];
  providers?: { meta: boolean; google: boolean };
  checks?: Record<string, boolean>;
  provider?: string;
  httpStatus?: number | null;
  detail?: string | null;
  reference?: string | null;
}

export interface Reply {
  status: number;
  body: ApiBody;
  text: string;
  headers: Record<string, string | undefined>;
}

/** Supertest's response with a typed body. */
export function reply(res: { status: number; body: unknown; text: string; headers: unknown }): Reply {
  return { status: res.status, body: res.body as ApiBody, text: res.text, headers: res.headers as Record<string, string | undefined> };
}
