import { accept, reject, type Normalized } from './result.js';

const GENDERS: ReadonlyMap<string, 'f' | 'm'> = new Map([
  ['f', 'f'],
  ['female', 'f'],
  ['m', 'm'],
  ['male', 'm'],
]);

/**
 * Meta `ge`: `f` or `m` (docs/platforms.md#meta-normalization-and-hashing). Letters are lowercased and anything else is
 * ignored, as Meta's SDK does (`Male`, `F.`, `female` accepted); any other word is dropped.
 */
export function normalizeMetaGender(value: string): Normalized {
  const gender = GENDERS.get(value.toLowerCase().replace(/[^a-z]/g, ''));
  return gender === undefined ? reject('invalid_gender') : accept(gender);
}
