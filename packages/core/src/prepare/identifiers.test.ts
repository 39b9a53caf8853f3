import { describe, expect, it } from 'vitest';
import { parseIngestItem } from '../contract.js';
import { sha256Hex } from '../hash.js';
import { prepareEvent, type PrepareOptions } from './prepare-event.js';
import { hasUserIdentifier } from './identifiers.js';

const NOW_MS = Date.UTC(2026, 10, 30, 12);
const OPTIONS: PrepareOptions = {
  nowMs: NOW_MS, defaultCallingCode: '81', meta: { enabled: true },
  google: { enabled: true, actions: new Map([['Purchase', { id: '123', mode: 'click' }], ['Enhance', { id: '456', mode: 'enhancement' }]]) },
};

function prepare(input: { customer?: object; event: object; consent?: object }) {
  const parsed = parseIngestItem({ ...input, event: { eventId: 'e-1', eventTime: NOW_MS / 1000 - 60, ...input.event }, destinations: ['google'] }, { nowMs: NOW_MS });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return prepareEvent(parsed.item, OPTIONS);
}

describe('hasUserIdentifier', () => {
  it('is true for an email, a phone or a complete address, false for nothing', () => {
    expect(hasUserIdentifier({})).toBe(false);
    expect(hasUserIdentifier({ hashedEmail: [] })).toBe(false);
    expect(hasUserIdentifier({ hashedEmail: [sha256Hex('a@example.com')] })).toBe(true);
    expect(hasUserIdentifier({ hashedPhoneNumber: [sha256Hex('+819012345678')] })).toBe(true);
    expect(hasUserIdentifier({ hashedFirstName: sha256Hex('ann'), hashedLastName: sha256Hex('lee') })).toBe(true);
  });
});

describe('Google enhancements with no identifier left', () => {
  it('skips with no_user_identifier when consent removed every identifier', () => {
    const result = prepare({ customer: { email: 'a@example.com' }, event: { eventName: 'Enhance', orderId: 'o-1' }, consent: { adUserData: 'denied' } });
    expect(result.prepared.filter((prepared) => prepared.provider === 'google')).toEqual([]);
    expect(result.skipped.filter((skip) => skip.provider === 'google')).toEqual([{ provider: 'google', reason: 'no_user_identifier' }]);
  });

  it('skips with no_user_identifier when validation dropped the only identifier', () => {
    const result = prepare({ customer: { email: 'not-an-email' }, event: { eventName: 'Enhance', orderId: 'o-1' } });
    expect(result.skipped.filter((skip) => skip.provider === 'google')).toEqual([{ provider: 'google', reason: 'no_user_identifier' }]);
    expect(result.warnings).toContainEqual({ field: 'customer.email', code: 'invalid_email' });
  });

  it('still sends an enhancement that has one', () => {
    const result = prepare({ customer: { email: 'a@example.com' }, event: { eventName: 'Enhance', orderId: 'o-1' } });
    expect(result.skipped.filter((skip) => skip.provider === 'google')).toEqual([]);
    expect(result.prepared.filter((prepared) => prepared.provider === 'google')).toHaveLength(1);
  });
});

describe('gbraid and wbraid together', () => {
  it('are both passed on, with a warning naming wbraid', () => {
    const result = prepare({ event: { eventName: 'Purchase', gbraid: 'gb-1', wbraid: 'wb-1' } });
    expect(result.warnings).toContainEqual({ field: 'event.wbraid', code: 'gbraid_and_wbraid' });
  });

  it('do not warn alone', () => {
    expect(prepare({ event: { eventName: 'Purchase', gbraid: 'gb-1' } }).warnings).toEqual([]);
  });
});
