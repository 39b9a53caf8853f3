import type { RedisConnection } from '@capconnect/queue';

/**
 * Remembers the signatures of answered requests so a captured request cannot be sent again
 * within its signature window (docs/decisions.md#signature-replay). A signature is claimed when its
 * request arrives and released again unless the request was answered 2xx: a client whose request
 * met a 503 (or a dropped connection) may send the same signed request again, and the event ids
 * deduplicate what may already have been stored.
 */
export interface SignatureLedger {
  /** Claims a signature for `ttlMs`; false when it was claimed before (a replay). Throws when Redis cannot answer. */
  claim(digestHex: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (its request was not answered 2xx). Never throws. */
  release(digestHex: string): Promise<void>;
}

/**
 * A ledger in Redis: one `SET NX PX` key per signature under `<prefix>:sig:`. `awaitReady` waits
 * for a (re)connecting fail-fast connection, as the producer does before a write.
 */
export function redisSignatureLedger(connection: RedisConnection, prefix: string, awaitReady: () => Promise<void> = () => Promise.resolve()): SignatureLedger {
  const keyOf = (digestHex: string) => `${prefix}:sig:${digestHex}`;
  return {
    async claim(digestHex, ttlMs) {
      await awaitReady();
      const reply = await connection.set(keyOf(digestHex), '1', 'PX', Math.ceil(ttlMs), 'NX');
      return reply === 'OK';
    },
    async release(digestHex) {
      await connection.del(keyOf(digestHex)).catch(() => undefined);
    },
  };
}
