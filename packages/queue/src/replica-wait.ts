import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';

/** Fewer replicas than asked acknowledged the writes in time: a failover now could lose them. */
export class ReplicaWaitError extends Error {
  override readonly name = 'ReplicaWaitError';
}

/**
 * Redis replicates asynchronously: a master acknowledges a write before any replica has it, and a
 * failover in between loses it. `WAIT n ms` blocks until n replicas acknowledged every write this
 * connection made so far (https://redis.io/docs/latest/commands/wait/). On a cluster it is sent to
 * each master that owns one of `slots` (the shards written to), on the very connection the writes
 * used. Costs: one round trip to the replicas per master, and commands queued behind the WAIT on
 * that connection wait for it (docs/decisions.md#replica-acknowledged-writes-are-optional).
 */
export async function waitForReplicas(connection: RedisConnection, slots: readonly number[], replicas: number, timeoutMs: number): Promise<void> {
  const nodes = connection instanceof Cluster ? mastersOf(connection, slots) : [connection];
  const acknowledged = await Promise.all(nodes.map((node) => node.wait(replicas, timeoutMs)));
  if (acknowledged.some((count) => count < replicas)) {
    throw new ReplicaWaitError(`fewer than ${replicas} replica(s) acknowledged the writes within ${timeoutMs} ms`);
  }
}

function mastersOf(cluster: Cluster, slots: readonly number[]): Redis[] {
  const keys = new Set(slots.map((slot) => cluster.slots[slot]?.[0]).filter((key): key is string => key !== undefined));
  const masters = cluster.nodes('master').filter((node) => keys.has(`${node.options.host}:${node.options.port}`));
  if (masters.length < keys.size) throw new ReplicaWaitError('the cluster topology changed during the write');
  return masters;
}
