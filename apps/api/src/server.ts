import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@capconnect/config';
import { createKeyring } from '@capconnect/core';
import { Producer, createRedisConnection, watchRedis } from '@capconnect/queue';
import { createMetrics, startMetricsServer, type Logger } from '@capconnect/telemetry';
import { Registry } from 'prom-client';
import { createApp } from './app.js';

export interface ApiServerOptions {
  logger: Logger;
  /** Interface to bind both ports to (default all interfaces). */
  host?: string;
  /** BullMQ prefix (default `{capconnect}`); tests use a fresh one. */
  prefix?: string;
  clock?: () => number;
}

export interface ApiServer {
  /** The ingest port actually bound (`PORT` 0 picks a free one). */
  port: number;
  metricsPort: number;
  /**
   * Graceful stop: stop accepting connections, let in-flight requests finish (at most
   * `SHUTDOWN_TIMEOUT_MS`, then the remaining connections are cut), close the queues and Redis,
   * then the metrics server.
   */
  close(): Promise<void>;
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
    policy: { maxAttempts: config.retry.maxAttempts, completedRetentionS: config.completedRetentionS, failedRetentionS: config.failedRetentionS },
    ...(options.prefix !== undefined && { prefix: options.prefix }),
  });
  const app = createApp({ config, producer, metrics, logger, clock: options.clock ?? Date.now });
  const metricsServer = await startMetricsServer(registry, config.metricsPort, options.host);
  const httpServer = createServer(app);
  let port: number;
  try {
    port = await listen(httpServer, config.port, options.host);
  } catch (error) {
    await metricsServer.close();
    await producer.close();
    connection.disconnect();
    throw error;
  }

  if (connection.status !== 'ready') logger.warn('redis is not reachable yet; ingest answers 503 until it is');

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
      await producer.close().catch(() => undefined);
      await connection.quit().catch(() => { connection.disconnect(); });
      await metricsServer.close();
    })();
    return closing;
  };
  return { port, metricsPort: metricsServer.port, close };
}
