import { META_MAX_EVENT_AGE_S, META_MAX_PHYSICAL_STORE_EVENT_AGE_S, PROVIDERS, type ActionSource, type Provider } from '@capconnect/core';

/**
 * How old a conversion each platform still takes, in seconds (docs/platforms.md#offline-import-windows):
 * Google click conversions up to 90 days after the click (the longest click-through window; the
 * conversion is never earlier than its click, so its own age is a safe test), Meta 7 days, 62 for
 * `physical_store` events. An older row is not sent to that platform and is counted with the reason
 * `event_too_old` instead of failing in the worker.
 */
export const GOOGLE_MAX_CLICK_CONVERSION_AGE_S = 90 * 24 * 60 * 60;

export function maxAgeS(provider: Provider, actionSource: ActionSource): number {
  if (provider === 'google') return GOOGLE_MAX_CLICK_CONVERSION_AGE_S;
  return actionSource === 'physical_store' ? META_MAX_PHYSICAL_STORE_EVENT_AGE_S : META_MAX_EVENT_AGE_S;
}

/** The providers, among `requested`, whose window `eventTimeS` is past. */
export function providersTooOld(eventTimeS: number, actionSource: ActionSource, nowMs: number, requested: readonly Provider[] = PROVIDERS): Provider[] {
  const ageS = Math.floor(nowMs / 1000) - eventTimeS;
  return requested.filter((provider) => ageS > maxAgeS(provider, actionSource));
}
