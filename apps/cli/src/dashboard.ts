import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDashboard, DashboardConfigurationError } from '@capconnect/dashboard';
import { createRedisConnection } from '@capconnect/queue';
import { EXIT, writeLine, type Io } from './output.js';

export interface DashboardCommandOptions {
  redisUrl: string;
  /** The global --prefix; every prefix starting like it (shards) is shown too. */
  prefix: string;
  port: number;
  host: string;
  allowRetry: boolean;
  /** Resolves when the command should stop (SIGINT/SIGTERM in main; tests pass their own). */
  stopped?: Promise<void>;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => { resolve(); });
    process.once('SIGTERM', () => { resolve(); });
  });
}

/**
 * `capconnect dashboard`: Bull Board over every queue and shard in Redis, behind a login with
 * DASHBOARD_TOKEN, read-only unless --allow-retry. Binds loopback by default: reach it through an
 * SSH tunnel or `kubectl port-forward`, never a public address.
 */
export async function dashboardCommand(io: Io, env: NodeJS.ProcessEnv, options: DashboardCommandOptions): Promise<number> {
  const token = env.DASHBOARD_TOKEN ?? '';
  if (token.length < 16) {
    writeLine(io.err, 'DASHBOARD_TOKEN: set it to a secret of at least 16 characters (openssl rand -base64 32); the dashboard has no other login.');
    return EXIT.usage;
  }
  const connection = createRedisConnection(options.redisUrl, 'producer', { connectionName: 'capconnect-dashboard' });
  connection.on('error', () => undefined);
  let dashboard;
  try {
    // The producer role fails commands while disconnected instead of queueing them: wait for Redis.
    await new Promise<void>((resolve, reject) => {
      if (connection.status === 'ready') { resolve(); return; }
      const timer = setTimeout(() => { reject(new Error('Redis did not answer within 3000 ms')); }, 3000);
      connection.once('ready', () => { clearTimeout(timer); resolve(); });
    });
    dashboard = await createDashboard({
      connection, token, allowRetry: options.allowRetry, prefixStart: options.prefix.replace(/\}$/, ''),
    });
  } catch (error) {
    connection.disconnect();
    if (error instanceof DashboardConfigurationError) { writeLine(io.err, error.message); return EXIT.usage; }
    writeLine(io.err, `Redis is not reachable at the configured URL (${error instanceof Error ? error.name : 'error'}).`);
    return EXIT.unavailable;
  }
  const server = createServer(dashboard.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  writeLine(io.out, `dashboard listening on http://${options.host}:${port}/ (${options.allowRetry ? 'retry and remove allowed' : 'read-only'}); sign in with DASHBOARD_TOKEN`);
  await (options.stopped ?? untilSignal());
  await new Promise<void>((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); });
  await dashboard.close();
  connection.disconnect();
  return EXIT.ok;
}
