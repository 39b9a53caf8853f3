import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freeLocalPort } from '@capconnect/sandbox';
import { Redis } from 'ioredis';
import { waitForRedis } from './redis-server.js';

/**
 * A Redis Cluster made of private `redis-server` processes, for tests and benchmarks that must run
 * against the real cluster protocol (MOVED/ASK redirections, slot ownership, failover) rather than
 * a single server. Every node binds 127.0.0.1 on free ports with its own data directory; `dispose`
 * kills them all and removes the directories.
 */

const run = promisify(execFile);

export interface RedisClusterOptions {
  /**
   * Masters, each owning an equal contiguous slot range.
   * @defaultValue 3
   */
  masters?: number;
  /**
   * Replicas per master; 1 when a test needs failover.
   * @defaultValue 0
   */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`, in ms: how long a silent master is tolerated before its replica takes
   * over. Short, so failover tests stay quick; production uses 15000.
   * @defaultValue 1000
   */
  nodeTimeoutMs?: number;
  /**
   * Waits for `cluster_state:ok` at most this long, in ms.
   * @defaultValue 30000
   */
  readyTimeoutMs?: number;
}

/** One node as the cluster sees it (from `CLUSTER NODES` asked of a live node). */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  masterId?: string;
  /** Slot ranges a master owns, inclusive `[first, last]`. */
  slots: [number, number][];
  /** False when the cluster flags it `fail` or `pfail`. */
  healthy: boolean;
}

/** A node's share of the work, from `INFO` (CPU seconds since it started) and `DBSIZE`. */
export interface ClusterNodeStats {
  port: number;
  role: 'master' | 'replica';
  /** `used_cpu_sys + used_cpu_user`, seconds. */
  cpuS: number;
  keys: number;
}

export interface PrivateRedisCluster {
  /** `redis-cluster://127.0.0.1:p1,…` listing every node, the form `REDIS_URL` takes. */
  readonly url: string;
  /** Every node's port, masters and replicas, in start order. */
  readonly ports: readonly number[];
  /** The current topology, asked of the first live node. */
  nodes(): Promise<ClusterNodeInfo[]>;
  masters(): Promise<ClusterNodeInfo[]>;
  /** SIGKILLs the node on `port` (no chance to write anything), resolving when it has exited. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again with its own data directory: a former master rejoins as a replica. */
  restart(port: number): Promise<void>;
  /** Resolves with the node that took over `deadPort`'s slots, once every live node reports `cluster_state:ok` again. */
  waitForFailover(deadPort: number, timeoutMs?: number): Promise<ClusterNodeInfo>;
  /** Resolves once every live node reports `cluster_state:ok` and they agree on the slot owners. */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** `INFO <section>` of one node as key/value pairs. */
  info(port: number, section?: string): Promise<Record<string, string>>;
  /** CPU and key count per live node. */
  stats(): Promise<ClusterNodeStats[]>;
  /**
   * Moves one slot, keys and all, to the master on `toPort` the way `redis-cli --cluster reshard`
   * does (IMPORTING/MIGRATING, MIGRATE in steps, SETSLOT NODE), while clients keep using it:
   * they meet ASK, TRYAGAIN and, after the move, MOVED.
   */
  migrateSlot(slot: number, toPort: number, options?: { keysPerStep?: number; pauseMs?: number }): Promise<{ movedKeys: number }>;
  /** The count of error replies per error code since the node started (`INFO errorstats`), e.g. `{MOVED: 3, ASK: 1}`. */
  errorReplies(port: number): Promise<Record<string, number>>;
  /** A plain (non-cluster) client to one node; the caller disconnects it. */
  client(port: number): Redis;
  /** Kills every node and removes the data directories. Safe to call twice. */
  dispose(): Promise<void>;
}

interface NodeProcess {
  port: number;
  dataDir: string;
  args: string[];
  child: ChildProcess;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => { resolve(); }));
}

/** Parses `CLUSTER NODES` (https://redis.io/docs/latest/commands/cluster-nodes/). */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [id = '', address = '', flags = '', master = '-', , , , , ...slotFields] = line.split(' ');
    const port = Number(address.split('@')[0]?.split(':')[1]);
    const flagList = flags.split(',');
    const slots = slotFields
      .filter((field) => !field.startsWith('['))
      .map((field) => {
        const [first = '0', last] = field.split('-');
        return [Number(first), Number(last ?? first)] as [number, number];
      });
    return {
      id,
      port,
      role: flagList.includes('master') ? 'master' : 'replica',
      ...(master !== '-' && { masterId: master }),
      slots,
      healthy: !flagList.includes('fail') && !flagList.includes('fail?'),
    };
  });
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const split = line.indexOf(':');
    if (split > 0 && !line.startsWith('#')) fields[line.slice(0, split)] = line.slice(split + 1);
  }
  return fields;
}

/** Starts a Redis Cluster of private `redis-server` processes (`redis-server` and `redis-cli` must be on PATH). */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<PrivateRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const processes: NodeProcess[] = [];
  const dead = new Set<number>();
  let disposed = false;

  const client = (port: number) => {
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 1000 });
    redis.on('error', () => undefined);
    return redis;
  };
  const ask = async <T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = client(port);
    try {
      return await command(redis);
    } finally {
      redis.disconnect();
    }
  };
  const live = () => processes.filter((node) => !dead.has(node.port));

  const handle: PrivateRedisCluster = {
    url: '',
    ports: [],
    async nodes() {
      for (const node of live()) {
        try {
          return parseClusterNodes(String(await ask(node.port, (redis) => redis.cluster('NODES'))));
        } catch {
          // this node cannot answer; ask the next one
        }
      }
      throw new Error('no cluster node answers');
    },
    async masters() {
      return (await handle.nodes()).filter((node) => node.role === 'master' && node.healthy && node.slots.length > 0);
    },
    async kill(port) {
      const node = processes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`no cluster node on port ${port}`);
      dead.add(port);
      node.child.kill('SIGKILL');
      await exited(node.child);
    },
    async restart(port) {
      const node = processes.find((candidate) => candidate.port === port);
      if (!node) throw new Error(`no cluster node on port ${port}`);
      node.child = spawn('redis-server', node.args, { stdio: 'ignore' });
      await waitForRedis(`redis://127.0.0.1:${port}`);
      dead.delete(port);
    },
    async waitForFailover(deadPort, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const before = (await handle.nodes()).find((node) => node.port === deadPort);
      for (;;) {
        const nodes = await handle.nodes().catch(() => []);
        const successor = nodes.find((node) => node.port !== deadPort && node.role === 'master' && node.healthy
          && before?.slots[0] !== undefined && node.slots.some(([first]) => first === before.slots[0]?.[0]));
        if (successor) {
          await handle.waitUntilOk(Math.max(deadline - Date.now(), 1000));
          return successor;
        }
        if (Date.now() > deadline) throw new Error(`no replica took over the master on port ${deadPort} within ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async waitUntilOk(timeoutMs = options.readyTimeoutMs ?? 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(live().map((node) => ask(node.port, async (redis) => {
          const info = parseInfo(await redis.cluster('INFO'));
          return { ok: info.cluster_state === 'ok', epoch: info.cluster_current_epoch, slots: info.cluster_slots_assigned };
        }).catch(() => ({ ok: false, epoch: undefined, slots: undefined }))));
        const agreed = states.every((state) => state.ok && state.slots === '16384' && state.epoch === states[0]?.epoch);
        if (agreed) return;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not ok within ${timeoutMs} ms`);
        await sleep(100);
      }
    },
    async info(port, section = 'everything') {
      return parseInfo(await ask(port, (redis) => redis.info(section)));
    },
    async stats() {
      const roles = new Map((await handle.nodes()).map((node) => [node.port, node.role]));
      return Promise.all(live().map(async ({ port }) => {
        const [cpu, keys] = await ask(port, (redis) => Promise.all([redis.info('cpu'), redis.dbsize()]));
        const fields = parseInfo(cpu);
        return { port, role: roles.get(port) ?? 'replica', cpuS: Number(fields.used_cpu_sys) + Number(fields.used_cpu_user), keys };
      }));
    },
    async migrateSlot(slot, toPort, migrate = {}) {
      const nodes = await handle.nodes();
      const source = nodes.find((node) => node.role === 'master' && node.slots.some(([first, last]) => slot >= first && slot <= last));
      const target = nodes.find((node) => node.port === toPort);
      if (!source || !target || target.role !== 'master') throw new Error(`cannot move slot ${slot} to port ${toPort}`);
      if (source.port === toPort) return { movedKeys: 0 };
      const from = client(source.port);
      const to = client(toPort);
      let movedKeys = 0;
      try {
        await to.cluster('SETSLOT', slot, 'IMPORTING', source.id);
        await from.cluster('SETSLOT', slot, 'MIGRATING', target.id);
        for (;;) {
          const keys = await from.cluster('GETKEYSINSLOT', slot, migrate.keysPerStep ?? 10);
          if (keys.length === 0) break;
          await from.migrate('127.0.0.1', toPort, '', 0, 5000, 'KEYS', ...keys);
          movedKeys += keys.length;
          if (migrate.pauseMs) await sleep(migrate.pauseMs);
        }
        // The target first, so no moment exists where neither side claims the slot.
        await to.cluster('SETSLOT', slot, 'NODE', target.id);
        await from.cluster('SETSLOT', slot, 'NODE', target.id);
        await Promise.all(live().filter((node) => node.port !== toPort && node.port !== source.port)
          .map((node) => ask(node.port, (redis) => redis.cluster('SETSLOT', slot, 'NODE', target.id)).catch(() => undefined)));
      } finally {
        from.disconnect();
        to.disconnect();
      }
      return { movedKeys };
    },
    async errorReplies(port) {
      const fields = await handle.info(port, 'errorstats');
      return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name.replace(/^errorstat_/, ''), Number(/count=(\d+)/.exec(value)?.[1] ?? 0)]));
    },
    client,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(processes.map(async (node) => {
        node.child.kill('SIGKILL');
        await exited(node.child);
        rmSync(node.dataDir, { recursive: true, force: true });
      }));
    },
  };

  try {
    for (let index = 0; index < masters * (1 + replicas); index += 1) {
      const port = await freeLocalPort();
      // The cluster bus port is set explicitly: the default (port + 10000) may be taken or past 65535.
      const busPort = await freeLocalPort();
      const dataDir = mkdtempSync(join(tmpdir(), 'capconnect-cluster-'));
      const args = [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dataDir, 'nodes.conf'), '--cluster-port', String(busPort),
        '--cluster-node-timeout', String(nodeTimeoutMs),
        // A replica may take over however long it was disconnected: tests kill masters on purpose.
        '--cluster-replica-validity-factor', '0',
        '--maxmemory-policy', 'noeviction',
      ];
      processes.push({ port, dataDir, args, child: spawn('redis-server', args, { stdio: 'ignore' }) });
    }
    await Promise.all(processes.map((node) => waitForRedis(`redis://127.0.0.1:${node.port}`)));
    await run('redis-cli', [
      '--cluster', 'create', ...processes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas', String(replicas), '--cluster-yes',
    ], { timeout: 60_000 });
    await handle.waitUntilOk();
    if (replicas > 0) await waitForReplicas(handle, masters * replicas, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await handle.dispose();
    throw error;
  }
  const ports = processes.map((node) => node.port);
  return Object.assign(handle, { url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, ports });
}

/** Replicas are only useful for failover once their first sync finished (`master_link_status:up`). */
async function waitForReplicas(cluster: PrivateRedisCluster, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const replicas = (await cluster.nodes()).filter((node) => node.role === 'replica');
    const linked = await Promise.all(replicas.map(async (node) => (await cluster.info(node.port, 'replication')).master_link_status === 'up'));
    if (replicas.length === expected && linked.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`replicas not in sync within ${timeoutMs} ms`);
    await sleep(100);
  }
}
