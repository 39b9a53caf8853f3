import { deriveEventId } from '@capconnect/core';
import { describe, expect, it } from 'vitest';
import type { FieldPath } from './mapping.js';
import { buildRow, parseAmount, type RowOptions } from './row.js';

const NOW_MS = Date.parse('2026-11-30T12:00:00Z');
const DAY_S = 86_400;
const nowS = NOW_MS / 1000;
const OPTIONS: RowOptions = { actionSource: 'system_generated', time: { timeZone: 'UTC', dayFirst: false }, nowMs: NOW_MS };
const row = (entries: Partial<Record<FieldPath, string | string[]>>) =>
  new Map(Object.entries(entries).map(([field, value]) => [field as FieldPath, Array.isArray(value) ? value : [value]]));
const base = { 'event.eventName': 'Purchase', 'event.eventTime': String(nowS - 3600), 'customer.email': 'zq.canary@example.com' } as const;

describe('buildRow', () => {
  it('uses the id the api derives from conversion name and order id', () => {
    const outcome = buildRow(row({ ...base, 'event.orderId': 'A-1001' }), OPTIONS);
    expect(outcome.kind === 'item' && outcome.eventId).toBe(deriveEventId('Purchase', 'A-1001'));
  });

  it('derives the same id for the same row on every run, another for any identifying change, never containing a value', () => {
    const first = buildRow(row({ ...base, 'event.value': '1,234.50', 'event.gclid': 'CanaryGclidZQ' }), OPTIONS);
    const again = buildRow(row({ 'event.gclid': 'CanaryGclidZQ', 'event.value': '1,234.50', ...base }), { ...OPTIONS, nowMs: NOW_MS + 60_000 });
    const otherValue = buildRow(row({ ...base, 'event.value': '1234.51', 'event.gclid': 'CanaryGclidZQ' }), OPTIONS);
    const otherConsent = buildRow(row({ ...base, 'event.value': '1,234.50', 'event.gclid': 'CanaryGclidZQ', 'consent.adUserData': 'yes' }), OPTIONS);
    if (first.kind !== 'item' || again.kind !== 'item' || otherValue.kind !== 'item' || otherConsent.kind !== 'item') throw new Error('expected items');
    expect(first.eventId).toMatch(/^imp-[0-9a-f]{40}$/);
    expect(again.eventId).toBe(first.eventId);
    expect(otherConsent.eventId).toBe(first.eventId);
    expect(otherValue.eventId).not.toBe(first.eventId);
    expect(first.item.event).toMatchObject({ eventName: 'Purchase', value: 1234.5, actionSource: 'system_generated', gclid: 'CanaryGclidZQ' });
    expect(otherConsent.item.consent).toEqual({ adUserData: 'granted' });
  });

  it('keeps an eventId column as given and sends several values of a customer field as an array', () => {
    const outcome = buildRow(row({ ...base, 'event.eventId': 'crm-77', 'customer.phone': ['555-0100', '555-0101'] }), OPTIONS);
    expect(outcome.kind === 'item' && outcome.item).toMatchObject({ event: { eventId: 'crm-77' }, customer: { phone: ['555-0100', '555-0101'] } });
  });

  it('names the field and never the value of what it cannot use', () => {
    const outcome = buildRow(row({ 'event.eventTime': 'zq-canary-time', 'event.value': 'zq-canary-value', 'consent.adUserData': 'zq-canary', 'event.actionSource': 'zq-canary-source' }), OPTIONS);
    expect(outcome.kind).toBe('invalid');
    if (outcome.kind !== 'invalid') return;
    expect(outcome.issues.map((issue) => issue.field)).toEqual(['event.eventName', 'event.eventTime', 'event.value', 'event.actionSource', 'consent.adUserData']);
    expect(JSON.stringify(outcome.issues)).not.toMatch(/canary/i);
  });

  it('takes --event-name for rows without a conversion name', () => {
    const outcome = buildRow(row({ 'event.eventTime': '2026-11-29 10:00', 'customer.email': 'a@example.com' }), { ...OPTIONS, eventName: 'Lead' });
    expect(outcome.kind === 'item' && outcome.item.event['eventName']).toBe('Lead');
  });

  it('leaves out the providers whose window is past, and skips rows past every window', () => {
    const tenDays = buildRow(row({ ...base, 'event.eventTime': String(nowS - 10 * DAY_S) }), OPTIONS);
    expect(tenDays).toMatchObject({ kind: 'item', tooOldFor: ['meta'], item: { destinations: ['google'] } });
    const store = buildRow(row({ ...base, 'event.eventTime': String(nowS - 30 * DAY_S), 'event.actionSource': 'physical_store' }), OPTIONS);
    expect(store).toMatchObject({ kind: 'item', tooOldFor: [] });
    expect(store.kind === 'item' && 'destinations' in store.item).toBe(false);
    const ancient = buildRow(row({ ...base, 'event.eventTime': String(nowS - 91 * DAY_S) }), OPTIONS);
    expect(ancient).toEqual({ kind: 'too_old', tooOldFor: ['meta', 'google'] });
    const metaOnly = buildRow(row({ ...base, 'event.eventTime': String(nowS - 10 * DAY_S) }), { ...OPTIONS, destinations: ['meta'] });
    expect(metaOnly).toEqual({ kind: 'too_old', tooOldFor: ['meta'] });
  });
});

describe('parseAmount', () => {
  it.each([['4980', 4980], ['12.5', 12.5], ['1,234,567.89', 1234567.89], ['1.234,5', undefined], ['-3', undefined], ['¥100', undefined], ['12,34', undefined]])('%s → %s', (text, expected) => {
    expect(parseAmount(text)).toBe(expected);
  });
});
