import { createKeyring, generateKeyText, type GooglePreparedEvent } from '@capconnect/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidJobError, isJobData, jobDataSchema, jobIdFor, jobOptions, openJobData, toJobData } from './catalogue.js';
import { backoffDelayMs } from './backoff.js';
import { metaEvent, sha } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());

const googleEvent: GooglePreparedEvent = {
  provider: 'google',
  event: { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, orderId: 'order-1', actionSource: 'website' },
  mode: 'click',
  conversionActionId: '123',
  adUserDataConsent: 'GRANTED',
  digests: { hashedEmail: [sha('johndoe@gmail.com')] },
  match: { gclid: 'Cj0KCQ-canary-gclid' },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to an object or array inside `value`, the root included. */
function containers(value: Json, path: (string | number)[] = []): { path: (string | number)[]; node: Json[] | { [key: string]: Json } }[] {
  if (value === null || typeof value !== 'object') return [];
  const children = Array.isArray(value) ? value.map((child, index) => [index, child] as const) : Object.entries(value);
  return [{ path, node: value }, ...children.flatMap(([key, child]) => containers(child, [...path, key]))];
}

/** One random edit of a valid job: a value replaced, a key removed, or a key added, anywhere. */
function mutate(job: Json, pick: number, edit: 'replace' | 'remove' | 'add', key: string, replacement: Json): Json {
  const copy = structuredClone(job);
  const all = containers(copy);
  const target = all[pick % all.length];
  if (!target) return copy;
  const { node } = target;
  const keys = Array.isArray(node) ? node.map((_, index) => index) : Object.keys(node);
  const chosen = keys[pick % Math.max(1, keys.length)];
  if (Array.isArray(node)) {
    if (edit === 'add' || chosen === undefined) node.push(replacement);
    else if (edit === 'remove') node.splice(Number(chosen), 1);
    else node[Number(chosen)] = replacement;
  } else if (edit === 'add' || chosen === undefined) {
    node[key] = replacement;
  } else if (edit === 'remove') {
    Reflect.deleteProperty(node, String(chosen));
  } else {
    node[String(chosen)] = replacement;
  }
  return copy;
}

describe('job data', () => {
  it('the compiled fast check and the zod schema agree on valid jobs and on thousands of broken ones', () => {
    const valid = [toJobData(metaEvent, keyring, 42), toJobData(googleEvent, keyring, 7)].map((job) => JSON.parse(JSON.stringify(job)) as Json);
    for (const job of valid) expect(isJobData(job)).toBe(true);
    const nearMisses = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<Json>,
      fc.constantFrom<Json>('a'.repeat(64), 'A'.repeat(64), 'f'.repeat(63), 1, -1, 1.5, 0, '', 'meta', 'google', 'click', 'LDU', 'JPY', 'jpy', [], {}, null, true, '123', 'x'.repeat(257), '\u{1F600}'.repeat(129)),
    );
    fc.assert(fc.property(
      fc.constantFrom(...valid), fc.nat(), fc.constantFrom<'replace' | 'remove' | 'add'>('replace', 'remove', 'add'),
      fc.constantFrom('extra', 'v', 'sealed', 'em', 'value', 'quantity', 'dataProcessing'), nearMisses,
      (job, pick, edit, key, replacement) => {
        const mutated = mutate(job, pick, edit, key, replacement);
        expect(isJobData(mutated)).toBe(jobDataSchema.safeParse(mutated).success);
      },
    ), { numRuns: 5000 });
  });

  it('seals every match field: the serialized job holds no plaintext of them', () => {
    for (const prepared of [metaEvent, googleEvent]) {
      const text = JSON.stringify(toJobData(prepared, keyring, 1));
      for (const value of Object.values(prepared.match)) expect(text).not.toContain(String(value));
    }
  });

  it('round-trips through the schema and the seal', () => {
    expect(openJobData(toJobData(metaEvent, keyring, 42), keyring)).toEqual({ ...metaEvent, ingestedAt: 42 });
    expect(openJobData(JSON.parse(JSON.stringify(toJobData(googleEvent, keyring, 7))), keyring)).toEqual({ ...googleEvent, ingestedAt: 7 });
  });

  it('omits the sealed part when there is nothing to seal', () => {
    const data = toJobData({ ...googleEvent, match: {} }, keyring, 1);
    expect(data).not.toHaveProperty('sealed');
    expect(openJobData(data, keyring)).toMatchObject({ match: {} });
  });

  it('rejects job data that breaks the schema, naming paths only', () => {
    const data = toJobData(metaEvent, keyring, 1) as unknown as Record<string, unknown>;
    const bad = { ...data, userData: { em: ['plaintext-canary@example.com'] } };
    expect(() => openJobData(bad, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData(bad, keyring)).toThrow(/userData\.em\.0/);
    try { openJobData(bad, keyring); } catch (error) { expect(String(error)).not.toContain('canary'); }
    expect(() => openJobData({ ...data, v: 2 }, keyring)).toThrow(InvalidJobError);
    expect(() => openJobData({ ...data, extra: 'field' }, keyring)).toThrow(InvalidJobError);
  });

  it('refuses a sealed blob moved into another job', () => {
    const data = toJobData(metaEvent, keyring, 1);
    const other = { ...data, event: { ...data.event, eventId: 'order-2' } };
    expect(() => openJobData(other, keyring)).toThrow(/could not be opened/);
  });

  it('derives BullMQ-safe, per-destination job ids', () => {
    const id = jobIdFor('meta', 'order:2025:0001');
    expect(id).toMatch(/^meta-[0-9a-f]{40}$/);
    expect(jobIdFor('google', 'order:2025:0001')).not.toBe(id.replace('meta', 'google').slice(0, 5));
    expect(jobIdFor('meta', 'order:2025:0001')).toBe(id);
    expect(jobOptions('meta', 'e', { maxAttempts: 5, completedRetentionS: 10, failedRetentionS: 20 })).toEqual({
      jobId: jobIdFor('meta', 'e'), attempts: 5, backoff: { type: 'capconnect' }, removeOnComplete: { age: 10 }, removeOnFail: { age: 20 },
    });
  });
});

describe('backoffDelayMs', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };
  it.each([
    [1, 0.5, 500], [2, 0.5, 1000], [3, 0.999, 3996], [10, 0.5, 30_000], [60, 0.5, 30_000],
  ])('after %i attempts with random %f waits %i ms (full jitter, capped)', (attempts, random, expected) => {
    expect(backoffDelayMs(attempts, policy, undefined, () => random)).toBe(expected);
  });
  it('never returns 0, which BullMQ reads as "retry immediately"', () => {
    expect(backoffDelayMs(1, policy, undefined, () => 0)).toBe(1);
  });
  it('honours a longer Retry-After, even above the cap', () => {
    expect(backoffDelayMs(1, policy, 120_000, () => 0.5)).toBe(120_000);
    expect(backoffDelayMs(5, policy, 10, () => 0.5)).toBe(8000);
  });
});
