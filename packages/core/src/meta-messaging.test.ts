/** Business-messaging events: the contract's camelCase ids, Meta's rules at ingest, what is sealed. */
import { describe, expect, it } from 'vitest';
import { parseIngestItem } from './contract.js';
import { prepareEvent, type PrepareOptions } from './prepare/prepare-event.js';
import type { MetaPreparedEvent } from './types.js';

const NOW_MS = Date.UTC(2026, 10, 30, 12);
const OPTIONS: PrepareOptions = { nowMs: NOW_MS, defaultCallingCode: '81', meta: { enabled: true }, google: { enabled: false, actions: new Map() } };

function parse(event: Record<string, unknown>) {
  return parseIngestItem({ event: { eventName: 'Purchase', eventId: 'chat-1', actionSource: 'business_messaging', ...event }, destinations: ['meta'] }, { nowMs: NOW_MS });
}

function prepare(event: Record<string, unknown>) {
  const parsed = parse(event);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return prepareEvent(parsed.item, OPTIONS);
}

const metaOf = (result: ReturnType<typeof prepareEvent>): MetaPreparedEvent | undefined =>
  result.prepared.find((event): event is MetaPreparedEvent => event.provider === 'meta');

describe('business-messaging fields in the contract', () => {
  it('accepts the six camelCase fields', () => {
    const parsed = parse({ messagingChannel: 'messenger', pageId: '1122334455', pageScopedUserId: '99887766', ctwaClid: 'ARAkLk-canary', igAccountId: '17841400000', igSid: '12345' });
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ['messagingChannel', 'telegram'],
    ['pageId', 'page-one'],
    ['pageScopedUserId', '12 34'],
    ['igAccountId', '-5'],
    ['igSid', 'abc'],
    ['ctwaClid', 'x'.repeat(513)],
  ])('refuses %s = %j, naming the field and not echoing the value', (field, value) => {
    const parsed = parse({ [field]: value });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((issue) => issue.path)).toContain(`event.${field}`);
    if (value.length < 100) expect(JSON.stringify(parsed.issues)).not.toContain(value);
  });
});

describe('Meta rules for business messaging at ingest', () => {
  it('takes a WhatsApp event with its click id, which alone is enough customer information', () => {
    const result = prepare({ messagingChannel: 'whatsapp', ctwaClid: 'ARAkLk-canary' });
    expect(result.skipped.filter((skip) => skip.provider === 'meta')).toEqual([]);
    expect(metaOf(result)?.match).toEqual({ messagingChannel: 'whatsapp', ctwaClid: 'ARAkLk-canary' });
  });

  it('takes Messenger with Page and page-scoped user, and Instagram with account and Instagram-scoped user', () => {
    expect(metaOf(prepare({ messagingChannel: 'messenger', pageId: '1122334455', pageScopedUserId: '99887766' }))?.match)
      .toEqual({ messagingChannel: 'messenger', pageId: '1122334455', pageScopedUserId: '99887766' });
    expect(metaOf(prepare({ messagingChannel: 'instagram', igAccountId: '17841400000', igSid: '12345' }))?.match)
      .toEqual({ messagingChannel: 'instagram', igAccountId: '17841400000', igSid: '12345' });
  });

  it.each([
    [{ ctwaClid: 'ARAkLk' }, 'missing_messaging_channel'],
    [{ messagingChannel: 'whatsapp', pageId: '1122334455', pageScopedUserId: '99887766' }, 'missing_messaging_identifier'],
    [{ messagingChannel: 'messenger', pageId: '1122334455' }, 'missing_messaging_identifier'],
    [{ messagingChannel: 'instagram', igSid: '12345' }, 'missing_messaging_identifier'],
  ])('skips %j with %s instead of sending it to certain rejection', (event, reason) => {
    const result = prepare(event);
    expect(metaOf(result)).toBeUndefined();
    expect(result.skipped.filter((skip) => skip.provider === 'meta')).toEqual([{ provider: 'meta', reason }]);
  });

  it('carries the ids on other action sources too (they are customer information), without the channel rules', () => {
    const result = prepare({ actionSource: 'chat', pageId: '1122334455', pageScopedUserId: '99887766' });
    expect(metaOf(result)?.match).toEqual({ pageId: '1122334455', pageScopedUserId: '99887766' });
  });
});
