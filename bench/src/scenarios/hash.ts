import { hash } from 'node:crypto';
import { parseIngestItem, prepareEvent, type PrepareOptions } from '@capconnect/core';
import type { Result } from '../report.js';
import { summarize } from '../stats.js';

/**
 * Scenario 1: normalize + hash a 10-identifier event for both providers, against the physical
 * floor: raw SHA-256 over the same ten strings with no normalization at all.
 */

export const TEN_IDENTIFIER_EVENT = {
  customer: {
    email: ' John.Doe@Example.COM ', phone: '(212) 555-0100', firstName: 'John', lastName: "O'Brien", gender: 'male',
    dateOfBirth: '1990/01/02', city: 'New York', state: 'New York', zip: '10001-1234', country: 'US',
  },
  event: {
    eventName: 'Purchase', eventId: 'bench-order-1', value: 4980, currency: 'JPY', orderId: 'bench-order-1',
    actionSource: 'website', eventSourceUrl: 'https://shop.example.com/thanks', clientUserAgent: 'Mozilla/5.0 bench', clientIpAddress: '203.0.113.7',
    gclid: 'Cj0KCQbench',
  },
} as const;

function rate(durationMs: number, work: () => void): number {
  const deadline = performance.now() + durationMs;
  let count = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i += 1) work();
    count += 100;
  }
  return count / (durationMs / 1000);
}

export function runHashScenario(options: { rounds: number; roundMs: number }): Result {
  const nowMs = Date.now();
  const parsed = parseIngestItem(TEN_IDENTIFIER_EVENT, { nowMs });
  if (!parsed.ok) throw new Error('benchmark event does not parse');
  const prepareOptions: PrepareOptions = {
    nowMs,
    defaultCallingCode: '81',
    meta: { enabled: true },
    google: { enabled: true, actions: new Map([['Purchase', { id: '1', mode: 'click' as const }]]) },
  };
  const rawValues = Object.values(TEN_IDENTIFIER_EVENT.customer);
  const ours = () => { prepareEvent(parsed.item, prepareOptions); };
  const floor = () => { for (const value of rawValues) hash('sha256', value); };
  ours();
  floor();
  rate(options.roundMs, ours); // warm-up
  rate(options.roundMs, floor);
  const oursRounds: number[] = [];
  const floorRounds: number[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    // Alternate so drift (thermal, other load) hits both sides alike.
    oursRounds.push(rate(options.roundMs, ours));
    floorRounds.push(rate(options.roundMs, floor));
  }
  const oursSummary = summarize(oursRounds);
  const floorSummary = summarize(floorRounds);
  return {
    scenario: '1 normalize+hash',
    metric: 'events/s (10 identifiers, both providers)',
    unit: 'events/s',
    ours: oursSummary,
    baseline: floorSummary,
    ratio: oursSummary.median / floorSummary.median,
    note: 'baseline: crypto.hash(sha256) of the 10 raw strings, no normalization (the physical floor)',
  };
}
