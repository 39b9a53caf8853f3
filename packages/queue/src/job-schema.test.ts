import { createKeyring, generateKeyText } from '@capconnect/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJobData } from './job-data.js';
import { isJobData, jobDataSchema } from './job-schema.js';
import { dataManagerEvent, googleEvent, metaEvent, sha } from './test/fixtures.js';

const keyring = createKeyring(generateKeyText());

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

describe('job schema', () => {
  it('the compiled fast check and the zod schema agree on valid jobs and on thousands of broken ones', () => {
    const event = { eventName: 'Purchase', eventId: 'order-1', eventTime: 1_764_300_000, actionSource: 'website', value: 1, currency: 'JPY', orderId: 'order-1' };
    // Jobs as v1 and v2 wrote them: workers still open them, so the check must judge them alike too.
    const legacy: Json[] = [
      { v: 2, provider: 'meta', ingestedAt: 1, sealed: 'x', event, userData: { em: [sha('a')], ph: [sha('b')] }, dataProcessing: { options: ['LDU'], country: 0, state: 0 } },
      { v: 1, provider: 'google', ingestedAt: 1, mode: 'click', conversionActionId: '1', adUserDataConsent: 'GRANTED', event, digests: { hashedEmail: [sha('a')] } },
      { v: 2, provider: 'google', api: 'ads-api', ingestedAt: 1, mode: 'enhancement', conversionActionId: '1', event, digests: { hashedFirstName: sha('f') } },
      {
        v: 2, provider: 'google', api: 'data-manager', ingestedAt: 1, mode: 'leads', conversionActionId: '1', eventSource: 'WEB', transactionId: 't',
        consent: { adUserData: 'DENIED' }, event, digests: { emailAddress: [sha('a')], givenName: sha('g') },
      },
    ];
    const contents = { ...metaEvent.event, contents: [{ id: 'sku', quantity: 1, itemPrice: 2 }, { id: 'other' }] };
    const valid = [
      ...[toJobData(metaEvent, keyring, 42), toJobData(googleEvent, keyring, 7), toJobData(dataManagerEvent, keyring, 9)].map((job) => JSON.parse(JSON.stringify(job)) as Json),
      JSON.parse(JSON.stringify(toJobData({ ...metaEvent, event: contents }, keyring, 1))) as Json,
      ...legacy,
    ];
    for (const job of valid) expect(isJobData(job)).toBe(true);
    const nearMisses = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<Json>,
      fc.constantFrom<Json>(
        'a'.repeat(64), 'A'.repeat(64), 'f'.repeat(63), 1, -1, 1.5, 0, '', 'meta', 'google', 'click', 'leads', 'WEB', 'ads-api', 'data-manager', 'LDU', 'JPY', 'jpy',
        [], {}, null, true, '123', 'x'.repeat(257), '\u{1F600}'.repeat(129),
        // v3 shapes: type letters, packed digests with odd counts or characters, a short tuple.
        'm', 'g', 'd', 3, '1.AAAA', '2.AAAA', 'b.AAAA', '11111111111.AAAA', '111111111111.AAAA', '1.AA+A', '1.', '.AAAA', [0, 0], [0], 'GRANTED',
      ),
    );
    fc.assert(fc.property(
      fc.constantFrom(...valid), fc.nat(), fc.constantFrom<'replace' | 'remove' | 'add'>('replace', 'remove', 'add'),
      fc.constantFrom('extra', 'v', 'api', 'sealed', 'em', 'emailAddress', 'transactionId', 'value', 'quantity', 'dataProcessing', 't', 'e', 'd', 's', 'tx', 'cs', 'l', 'o', 'x'), nearMisses,
      (job, pick, edit, key, replacement) => {
        const mutated = mutate(job, pick, edit, key, replacement);
        expect(isJobData(mutated)).toBe(jobDataSchema.safeParse(mutated).success);
      },
    ), { numRuns: 6000 });
  });

});
