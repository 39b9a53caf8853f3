/**
 * `QUEUE_SHARDS` and `WORKER_SHARDS` (docs/architecture.md#shards). The upper bound keeps the
 * per-process cost in check: every shard is one BullMQ worker per provider in each worker process.
 */
export const MAX_QUEUE_SHARDS = 64;

/**
 * Parses `WORKER_SHARDS`: comma-separated shard numbers and inclusive ranges (`0-3`, `0,2,5`,
 * `0-1,4`). Empty, undefined or `all` means every shard. Throws a RangeError naming the problem
 * (the text is configuration, never personal data).
 */
export function parseShardList(text: string | undefined, count: number): number[] {
  const all = Array.from({ length: count }, (_, index) => index);
  if (text === undefined || text.trim() === '' || text.trim() === 'all') return all;
  const chosen = new Set<number>();
  for (const part of text.split(',').map((piece) => piece.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new RangeError(`"${part}" is not a shard number or range such as 0-3`);
    const first = Number(match[1]);
    const last = Number(match[2] ?? match[1]);
    if (first > last) throw new RangeError(`range ${part} runs backwards`);
    if (last >= count) throw new RangeError(`shard ${last} does not exist (QUEUE_SHARDS=${count}: shards 0-${count - 1})`);
    for (let shard = first; shard <= last; shard += 1) chosen.add(shard);
  }
  return [...chosen].sort((a, b) => a - b);
}
