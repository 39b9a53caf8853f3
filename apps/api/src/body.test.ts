import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_LIMITS, checkJsonLimits } from './body.js';
import { HttpError } from './errors.js';

/**
 * The structural check as first written, with an explicit stack: the oracle the recursive check
 * must agree with, verdict and reported violation alike.
 */
function stackCheck(value: unknown, topLevelArrayMax: number): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value: current, depth } = frame;
    if (typeof current === 'string') {
      if (current.length > JSON_LIMITS.maxStringLength) return 'string';
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth > JSON_LIMITS.maxDepth) return 'depth';
    if (Array.isArray(current)) {
      if (current.length > (depth === 1 ? topLevelArrayMax : JSON_LIMITS.maxArrayLength)) return 'array';
      for (const element of current as unknown[]) stack.push({ value: element, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(current);
    if (keys.length > JSON_LIMITS.maxObjectKeys) return 'keys';
    for (const key of keys) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return 'reserved';
      if (key.length > JSON_LIMITS.maxStringLength) return 'key';
      stack.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}

function verdict(value: unknown, topLevelArrayMax: number): string | undefined {
  try {
    checkJsonLimits(value, topLevelArrayMax);
    return undefined;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const message = error.message;
    if (message.startsWith('a string')) return 'string';
    if (message.startsWith('the body is nested')) return 'depth';
    if (message.startsWith('an array')) return 'array';
    if (message.startsWith('an object')) return 'keys';
    if (message.startsWith('the body uses a reserved')) return 'reserved';
    if (message.startsWith('a field name')) return 'key';
    return message;
  }
}

const long = 'x'.repeat(JSON_LIMITS.maxStringLength + 1);
/** JSON values with the occasional violation of every kind, at every depth. */
const hostile = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<unknown>(null, true, 0, 'short', long),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.constant(0), { minLength: JSON_LIMITS.maxArrayLength + 1, maxLength: JSON_LIMITS.maxArrayLength + 1 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'constructor', long), tie('value'), { maxKeys: 4 }),
    fc.constant(JSON.parse('{"__proto__": 1, "a": "x"}') as unknown),
    fc.constant(Object.fromEntries(Array.from({ length: JSON_LIMITS.maxObjectKeys + 1 }, (_, index) => [`k${index}`, index]))),
    fc.constant(JSON.parse(`${'['.repeat(JSON_LIMITS.maxDepth + 1)}${']'.repeat(JSON_LIMITS.maxDepth + 1)}`) as unknown),
  ),
}));

describe('structural limits of a JSON body', () => {
  it('agrees with the explicit-stack check on every value: same verdict, same violation reported', () => {
    fc.assert(fc.property(hostile.value, fc.constantFrom(2, 50, JSON_LIMITS.maxArrayLength), (value, topLevelArrayMax) => {
      expect(verdict(value, topLevelArrayMax)).toBe(stackCheck(value, topLevelArrayMax));
    }), { numRuns: 2000 });
  });

  it('accepts a body at every limit and refuses one past each', () => {
    const deepest = JSON.parse(`${'['.repeat(JSON_LIMITS.maxDepth)}${']'.repeat(JSON_LIMITS.maxDepth)}`) as unknown;
    expect(verdict(deepest, 10)).toBeUndefined();
    expect(verdict([deepest], 10)).toBe('depth');
    expect(verdict({ a: 'x'.repeat(JSON_LIMITS.maxStringLength) }, 10)).toBeUndefined();
    expect(verdict([{ a: [long] }], 10)).toBe('string');
    expect(verdict([1, 2, 3], 2)).toBe('array');
  });
});
