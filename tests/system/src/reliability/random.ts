/**
 * A small seeded PRNG (mulberry32) so a failing run can be repeated: the seed comes from
 * `RELIABILITY_SEED` when set, else from the clock, and every scenario reports it.
 */
export function seededRandom(seedText = process.env['RELIABILITY_SEED']): { random: () => number; seed: number } {
  const seed = seedText !== undefined && /^\d+$/.test(seedText) ? Number(seedText) : Date.now() % 2 ** 31;
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { random, seed };
}
