/** Summary statistics for repeated measurements (rounds). */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how much the rounds disagree. */
  spread: number;
  rounds: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function summarize(rounds: readonly number[]): Summary {
  const mid = median(rounds);
  const min = Math.min(...rounds);
  const max = Math.max(...rounds);
  return { median: mid, min, max, spread: mid === 0 ? 0 : (max - min) / mid, rounds: [...rounds] };
}

/** The q-quantile (0..1) of a list of samples, nearest-rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
