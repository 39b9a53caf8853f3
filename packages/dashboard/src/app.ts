import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RedisConnection } from '@capconnect/queue';
import { Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createSessions } from './auth.js';
import { discoverQueues, type QueueRef } from './discover.js';

export interface DashboardOptions {
  connection: RedisConnection;
  /** The login token (`DASHBOARD_TOKEN`); at least 16 characters. */
  token: string;
  /** Where the dashboard is mounted, default `/`. */
  basePath?: string;
  /** Queues under prefixes starting with this, default `{capconnect`. */
  prefixStart?: string;
  /** Allow retrying and removing jobs (off: read-only). */
  allowRetry?: boolean;
}

export interface Dashboard {
  /** Request handler (an express app): mount it on any Node HTTP server. */
  handler: express.Express;
  /** Looks for new queues or shards now (also done every `refreshMs` while serving). */
  refresh(): Promise<QueueRef[]>;
  close(): Promise<void>;
}

export class DashboardConfigurationError extends Error {
  override readonly name = 'DashboardConfigurationError';
}

/**
 * With --allow-retry, the only writes: retry one job or a state's jobs, and remove one job.
 * Adding, editing, emptying, pausing or obliterating stay out of reach: the dashboard repairs
 * deliveries, it does not author jobs.
 */
const ALLOWED_WRITES = [
  /\/api\/queues\/[^/]+\/retry\/[^/]+$/,
  /\/api\/queues\/[^/]+\/[^/]+\/retry$/,
  /\/api\/queues\/[^/]+\/[^/]+\/clean$/,
];

function writeGate(allowRetry: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') { next(); return; }
    const path = req.originalUrl.split('?')[0] ?? '';
    if (allowRetry && req.method === 'PUT' && ALLOWED_WRITES.some((pattern) => pattern.test(path))) { next(); return; }
    res.status(405).json({ error: allowRetry ? 'not allowed from the dashboard' : 'read-only dashboard (start it with --allow-retry)' });
  };
}

/**
 * Bull Board over every CapConnect queue found in Redis, behind a token login. Jobs hold digests,
 * sealed fields and event metadata only (packages/queue/src/job-schema.ts), so that is all it shows.
 */
export async function createDashboard(options: DashboardOptions, refreshMs = 30_000): Promise<Dashboard> {
  if (options.token.length < 16) throw new DashboardConfigurationError('DASHBOARD_TOKEN: must be at least 16 characters');
  const basePath = options.basePath ?? '/';
  const allowRetry = options.allowRetry === true;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath.replace(/\/$/, ''));
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: allowRetry ? 'CapConnect queues' : 'CapConnect queues (read-only)' } },
  });
  const queues = new Map<string, Queue>();

  const refresh = async (): Promise<QueueRef[]> => {
    const refs = await discoverQueues(options.connection, options.prefixStart);
    for (const ref of refs) {
      const key = `${ref.prefix}:${ref.name}`;
      if (queues.has(key)) continue;
      const queue = new Queue(ref.name, { connection: options.connection, prefix: ref.prefix });
      queues.set(key, queue);
      board.addQueue(new BullMQAdapter(queue, {
        // Display name `<prefix>:<queue>`, unique across shards.
        prefix: `${ref.prefix}:`,
        readOnlyMode: !allowRetry,
        allowRetries: allowRetry,
        description: `BullMQ queue ${ref.name} under ${ref.prefix}`,
      }));
    }
    return refs;
  };
  await refresh();
  const timer = setInterval(() => { void refresh().catch(() => undefined); }, refreshMs);
  timer.unref();

  const sessions = createSessions(options.token, basePath);
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  app.use((req, res, next) => { sessions.guard(req, res, next); });
  app.use(writeGate(allowRetry));
  app.use(basePath, serverAdapter.getRouter() as express.Router);

  return {
    handler: app,
    refresh,
    async close() {
      clearInterval(timer);
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
