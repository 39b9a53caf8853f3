import { Cluster, Redis, type RedisOptions as IoRedisOptions } from 'ioredis';

// ioredis 6 declares `replyMapping?: X` on the constructor but `X | undefined` on RedisOptions,
// which exactOptionalPropertyTypes rejects; we never set it.
type RedisOptions = Omit<IoRedisOptions, 'replyMapping'>;

/**
 * Redis connections for the two roles (docs/platforms.md#bullmq-and-redis):
 * - `producer` (the API): `enableOfflineQueue: false` and a short command timeout, so a write
 *   fails fast while Redis is down and the API answers 503 instead of hanging.
 * - `worker`: `maxRetriesPerRequest: null`, as BullMQ requires for blocking connections; it
 *   waits for Redis to come back rather than failing jobs.
 *
 * `REDIS_URL` forms: `redis://[:password@]host:port[/db]`, `rediss://…` (TLS),
 * `redis-sentinel://[:password@]host:port[,host:port…]/<master name>[?db=N]`,
 * `redis-cluster://[:password@]host:port[,host:port…]`.
 */

export type ConnectionRole = 'producer' | 'worker';
export type RedisConnection = Redis | Cluster;

export interface ConnectionOptions {
  /**
   * Producer command timeout, in ms: the API's 503 deadline. Ignored for the `worker` role.
   * @defaultValue 1000
   */
  commandTimeoutMs?: number;
  /**
   * Connection name shown by `CLIENT LIST`.
   * @defaultValue none (unnamed)
   */
  connectionName?: string;
}

function roleOptions(role: ConnectionRole, options: ConnectionOptions): RedisOptions {
  const common: RedisOptions = {
    // Reconnect forever, backing off to 2 s; the producer never queues commands meanwhile.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    ...(options.connectionName !== undefined && { connectionName: options.connectionName }),
  };
  if (role === 'producer') {
    return {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: 2000,
    };
  }
  return { ...common, maxRetriesPerRequest: null, enableReadyCheck: true };
}

function parseHosts(hosts: string): { host: string; port: number }[] {
  return hosts.split(',').map((hostPort) => {
    const [host, port] = hostPort.split(':');
    return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
  });
}

/** Creates a connection for `role` from a `REDIS_URL`. The caller owns it and must close it. */
export function createRedisConnection(url: string, role: ConnectionRole, options: ConnectionOptions = {}): RedisConnection {
  const base = roleOptions(role, options);
  const schemeEnd = url.indexOf('://');
  const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd) : '';
  if (scheme === 'redis-sentinel' || scheme === 'redis-cluster') {
    // URL() cannot parse comma-separated host lists, so split the authority by hand.
    const rest = url.slice(schemeEnd + 3);
    const at = rest.lastIndexOf('@');
    const credentials = at >= 0 ? rest.slice(0, at) : '';
    const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
    const [authority = '', pathAndQuery = ''] = afterAuth.split(/\/(.*)/s);
    const [path = '', query = ''] = pathAndQuery.split('?');
    const [username, password] = credentials.includes(':') ? credentials.split(':') : [undefined, credentials || undefined];
    const auth = {
      ...(username ? { username: decodeURIComponent(username) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
    };
    if (scheme === 'redis-sentinel') {
      const db = Number(new URLSearchParams(query).get('db') ?? 0);
      const sentinelOptions = { ...base, ...auth, sentinels: parseHosts(authority), name: decodeURIComponent(path || 'mymaster'), db };
      return new Redis(sentinelOptions);
    }
    return new Cluster(parseHosts(authority), {
      redisOptions: { ...base, ...auth },
      enableOfflineQueue: role !== 'producer',
      ...(role === 'producer' ? {} : { clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000) }),
    });
  }
  // ioredis parses redis:// and rediss:// (TLS), password and db itself.
  return new Redis(url, base);
}

/**
 * Warns when Redis may evict keys: BullMQ loses jobs under any policy but `noeviction`
 * (docs/platforms.md#bullmq-and-redis). Returns the policy, or undefined when it could not be read
 * (e.g. managed Redis that disables CONFIG).
 */
export async function checkEvictionPolicy(connection: RedisConnection, warn: (message: string) => void): Promise<string | undefined> {
  try {
    const reply: unknown = await connection.config('GET', 'maxmemory-policy');
    const policy = Array.isArray(reply) ? (reply as unknown[])[1] : undefined;
    if (typeof policy !== 'string') return undefined;
    if (policy !== 'noeviction') {
      warn(`Redis maxmemory-policy is "${policy}"; it must be "noeviction" or queued events can be evicted and lost`);
    }
    return policy;
  } catch {
    warn('could not read Redis maxmemory-policy (CONFIG GET refused); make sure it is "noeviction"');
    return undefined;
  }
}
