import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '@capconnect/config';
import { createDashboard, type Dashboard } from '@capconnect/dashboard';
import { QUEUE_PREFIX, createRedisConnection } from '@capconnect/queue';
import type { Logger } from '@capconnect/telemetry';

/** Where the dashboard lives on the metrics port. */
export const DASHBOARD_BASE_PATH = '/dashboard';

export interface DashboardRoute {
  /** For `startMetricsServer`'s `extraHandler`: answers requests under `/dashboard`, declines the rest. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stops the dashboard's queue discovery and closes its queues and Redis connection. */
  close(): Promise<void>;
}

function underBasePath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0] ?? '';
  return path === DASHBOARD_BASE_PATH || path.startsWith(`${DASHBOARD_BASE_PATH}/`);
}

/**
 * The queue dashboard (`DASHBOARD_ON_METRICS_PORT`) as a route of the api's metrics port, always
 * read-only: retries stay with `capconnect dashboard --allow-retry`
 * (docs/decisions.md#dashboard-on-metrics-port). It is built on its first request, not at boot, so
 * the api still boots while Redis is down; until Redis answers the route says 503.
 */
export function createDashboardRoute(config: Config, options: { logger: Logger; prefix?: string }): DashboardRoute {
  // Its own connection, so the dashboard's scans never queue behind ingest writes.
  const connection = createRedisConnection(config.redisUrl, 'producer', { connectionName: 'capconnect-api-dashboard' });
  connection.on('error', () => undefined);
  let building: Promise<Dashboard> | undefined;
  let closed = false;

  const dashboard = (): Promise<Dashboard> => {
    building ??= createDashboard({
      connection,
      token: config.dashboard.token,
      basePath: DASHBOARD_BASE_PATH,
      // Every shard prefix beside the api's own, as `capconnect dashboard` does.
      prefixStart: (options.prefix ?? QUEUE_PREFIX).replace(/\}$/, ''),
      allowRetry: false,
    }).catch((error: unknown) => {
      building = undefined; // try again on the next request
      throw error;
    });
    return building;
  };

  const unavailable = (res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('queue dashboard unavailable: redis is not reachable\n');
  };

  return {
    handle(req, res) {
      if (!underBasePath(req.url)) return false;
      if (closed || connection.status !== 'ready') { unavailable(res); return true; }
      dashboard().then(
        (built) => { built.handler(req, res); },
        (error: unknown) => {
          options.logger.warn({ err: { name: error instanceof Error ? error.name : 'error' } }, 'queue dashboard could not start');
          unavailable(res);
        },
      );
      return true;
    },
    async close() {
      closed = true;
      const built = await building?.catch(() => undefined);
      await built?.close();
      await connection.quit().catch(() => { connection.disconnect(); });
    },
  };
}
