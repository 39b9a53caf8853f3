import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { parseShardList } from './shards.js';

const base = { WEBHOOK_SECRET: 'a-long-shared-secret-1', QUEUE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ ...base, ...env }, { service: 'worker' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('queue shard settings', () => {
  it('parses WORKER_SHARDS lists and ranges', () => {
    expect(parseShardList(undefined, 4)).toEqual([0, 1, 2, 3]);
    expect(parseShardList('', 4)).toEqual([0, 1, 2, 3]);
    expect(parseShardList('all', 2)).toEqual([0, 1]);
    expect(parseShardList('0-2', 6)).toEqual([0, 1, 2]);
    expect(parseShardList('5, 0,2', 6)).toEqual([0, 2, 5]);
    expect(parseShardList('0-1,1-3', 6)).toEqual([0, 1, 2, 3]);
    expect(() => parseShardList('6', 6)).toThrow('shards 0-5');
    expect(() => parseShardList('3-1', 6)).toThrow('backwards');
    expect(() => parseShardList('x', 6)).toThrow('not a shard number');
  });

  it('defaults to one shard, every shard consumed, no WAIT', () => {
    expect(loadConfig(base, { service: 'worker' })).toMatchObject({ queueShards: 1, workerShards: [0], queueWaitReplicas: 0, queueWaitTimeoutMs: 500 });
    expect(loadConfig({ ...base, QUEUE_SHARDS: '6', WORKER_SHARDS: '0-1,4' }, { service: 'worker' })).toMatchObject({ queueShards: 6, workerShards: [0, 1, 4] });
  });

  it('names the variable of a bad shard setting', () => {
    expect(problemsOf({ QUEUE_SHARDS: '0' })).toEqual([expect.stringContaining('QUEUE_SHARDS')]);
    expect(problemsOf({ QUEUE_SHARDS: '65' })).toEqual([expect.stringContaining('QUEUE_SHARDS')]);
    expect(problemsOf({ QUEUE_SHARDS: '4', WORKER_SHARDS: '2-4' })).toEqual(['WORKER_SHARDS: shard 4 does not exist (QUEUE_SHARDS=4: shards 0-3)']);
    expect(problemsOf({ QUEUE_WAIT_REPLICAS: '-1' })).toEqual([expect.stringContaining('QUEUE_WAIT_REPLICAS')]);
  });
});
