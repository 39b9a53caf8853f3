import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@capconnect/config';
import { createKeyring, warmIngestContract } from '@capconnect/core';
import { OutcomeEvents, Producer, QUEUE_PREFIX, createRedisConnection, watchRedis, type RedisConnection } from '@capconnect/queue';
import { createMetrics, startMetricsServer, type Logger, type MetricsServer } from '@capconnect/telemetry';
import { Registry } from 'prom-client';
import { createApp } from './app.js';
import { jobPolicy } from './ingest.js';
import { redisSignatureLedger } from './replay.js';

export interface ApiServerOptions {
  logger: Logger;
  /**
   * Interface (host or IP) of the public port.
   * @defaultValue all interfaces
   */
  host?: string;
  /**
   * Interface (host or IP) of the metrics port.
   * @defaultValue `config.metricsHost` (`METRICS_HOST`, itself `127.0.0.1` by default)
   */
  metricsHost?: string;
  /**
   * BullMQ key prefix; tests use a fresh one.
   * @defaultValue `'{capconnect}'` (`QUEUE_PREFIX`)
   */
  prefix?: string;
  /**
   * Clock in epoch ms, for tests.
   * @defaultValue `Date.now`
   */
  clock?: () => number;
}

export interface ApiServer {
  /** The ingest port actually bound (`PORT` 0 picks a free one). */
  port: number;
  metricsPort: number;
  /** The interface the metrics port is bound to (`METRICS_HOST`). */
  metricsAddress: string;
  /**
   * Graceful stop: stop accepting connections, let in-flight requests finish (at most
   * `SHUTDOWN_TIMEOUT_MS`, then the remaining connections are cut), close the queues and Redis,
   * then the metrics server and the queue dashboard's Redis connection.
   */
  close(): Promise<void>;
}

/**
 * The public server's defences against slow and numerous clients (docs/decisions.md#slow-clients):
 * a client must send its headers within `HTTP_HEADERS_TIMEOUT_MS` and its whole request within
 * `HTTP_REQUEST_TIMEOUT_MS`, an idle keep-alive connection closes after `HTTP_KEEP_ALIVE_TIMEOUT_MS`,
 * and connections past `HTTP_MAX_CONNECTIONS` are closed as they arrive. Node checks the first two
 * timeouts every `connectionsCheckingInterval` (30 s by default), so it runs every second here.
 */
export function createLimitedServer(config: Pick<Config, 'httpServer'>, listener: Parameters<typeof createServer>[1]): Server {
  const limits = config.httpServer;
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  }, listener);
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * Warns when Redis is not reachable at boot, decided by the connection's first verdict (ready or
 * an error), not by its status at one instant: right after start-up a healthy connection is still
 * `connecting`, which is no reason to warn.
 */
function warnIfRedisUnreachable(connection: RedisConnection, logger: Logger): void {
  if (connection.status === 'ready') return;
  const onReady = () => { connection.off('error', onError); };
  const onError = () => {
    connection.off('ready', onReady);
    logger.warn('redis is not reachable yet; ingest answers 503 until it is');
  };
  connection.once('ready', onReady);
  connection.once('error', onError);
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Wires the api from a validated configuration: fail-fast Redis connection, producer, metrics
 * registry and server, the Express app, and the listening HTTP server. Redis need not be up at
 * boot: the api answers 503 (and `/readyz` says not ready) until it is, then recovers by itself.
 */
export async function startApiServer(config: Config, options: ApiServerOptions): Promise<ApiServer> {
  const { logger } = options;
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const connection = createRedisConnection(config.redisUrl, 'producer', { connectionName: 'capconnect-api' });
  watchRedis(connection, { logger, redisUp: metrics.redisUp, whileDown: 'ingest answers 503 until it is back', logReady: true });
  const producer = new Producer({
    connection,
    keyring: createKeyring(config.queueEncryptionKey),
    policy: jobPolicy(config),
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    shards: config.queueShards,
    waitReplicas: config.queueWaitReplicas,
    waitTimeoutMs: config.queueWaitTimeoutMs,
  });
  // Shards an earlier QUEUE_SHARDS left hold events whose status may still be asked for; they
  // only appear when the count changes, which restarts the api, so one look at boot is enough.
  void producer.awaitReady(30_000).then(() => producer.shards.discover()).catch(() => undefined);
  warnIfRedisUnreachable(connection, logger);
  // One settlement listener per queue for every `?wait=` of this process, on its own (blocking) connections.
  const outcomes = new OutcomeEvents({
    connect: () => createRedisConnection(config.redisUrl, 'worker', { connectionName: 'capconnect-api-events' }),
    prefixes: producer.shards.shards().map((shard) => shard.prefix),
  });
  // The contract's compiled check is built now, not on the first request (decisions.md#compiled-contract-check).
  warmIngestContract();
  const app = createApp({
    config, producer, metrics, logger, outcomes, clock: options.clock ?? Date.now,
    signatureLedger: redisSignatureLedger(connection, options.prefix ?? QUEUE_PREFIX, () => producer.awaitReady(500)),
  });
  // Off by default: the metrics port has no authentication of its own, the dashboard brings its login.
  // Loaded only when on: its module graph (the dashboard UI's server side) would otherwise sit in every api's heap.
  const dashboardRoute = config.dashboard.onMetricsPort
    ? (await import('./dashboard-route.js')).createDashboardRoute(config, { logger, ...(options.prefix !== undefined && { prefix: options.prefix }) })
    : undefined;
  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer(registry, config.metricsPort, options.metricsHost ?? config.metricsHost, {
      ...(dashboardRoute && { extraHandler: (req, res) => dashboardRoute.handle(req, res) }),
    });
  } catch (error) {
    await dashboardRoute?.close();
    await outcomes.close();
    await producer.close();
    connection.disconnect();
    throw error;
  }
  const httpServer = createLimitedServer(config, app);
  let port: number;
  try {
    port = await listen(httpServer, config.port, options.host);
  } catch (error) {
    await metricsServer.close();
    await dashboardRoute?.close();
    await outcomes.close();
    await producer.close();
    connection.disconnect();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => { httpServer.close(() => { resolve(); }); });
      // A keep-alive connection turns idle when its in-flight request ends; drop it then, not
      // after the keep-alive timeout.
      const sweep = setInterval(() => { httpServer.closeIdleConnections(); }, 50);
      const force = setTimeout(() => { httpServer.closeAllConnections(); }, config.shutdownTimeoutMs);
      httpServer.closeIdleConnections();
      await stopped;
      clearInterval(sweep);
      clearTimeout(force);
      await outcomes.close();
      await producer.close().catch(() => undefined);
      await connection.quit().catch(() => { connection.disconnect(); });
      await metricsServer.close();
      await dashboardRoute?.close();
    })();
    return closing;
  };
  return { port, metricsPort: metricsServer.port, metricsAddress: metricsServer.address, close };
}
