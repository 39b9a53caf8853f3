import { createHash } from 'node:crypto';
import { SANDBOX_DEFAULTS } from '../options.js';
import type { Sandbox } from '../server.js';
import type { GoogleClickConversion, GoogleConversionAdjustment, MetaServerEvent } from '../types.js';

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const D = SANDBOX_DEFAULTS;
export const META_PATH = `/${D.meta.apiVersion}/${D.meta.pixelId}/events`;
export const ACTION = `customers/${D.google.customerId}/conversionActions/${D.google.conversionActionIds[0]}`;

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

async function answer<T>(response: Response): Promise<Answer<T>> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** A website Purchase that Meta accepts: the events in tests are this with one thing broken. */
export function metaEvent(overrides: Record<string, unknown> = {}, userData: Record<string, unknown> = {}): MetaServerEvent {
  return {
    event_name: 'Purchase',
    event_time: Math.floor(Date.now() / 1000) - 60,
    event_id: 'order-1',
    action_source: 'website',
    event_source_url: 'https://shop.example.com/thank-you',
    user_data: {
      em: [sha256('john_smith@gmail.com')],
      client_ip_address: '203.0.113.7',
      client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      ...userData,
    },
    custom_data: { value: 4980, currency: 'JPY' },
    ...overrides,
  };
}

export async function postMeta<T = unknown>(sandbox: Sandbox, body: unknown, path = META_PATH, token: string | null = D.meta.accessToken): Promise<Answer<T>> {
  const query = token === null ? '' : `?access_token=${encodeURIComponent(token)}`;
  return answer<T>(await fetch(`${sandbox.metaBaseUrl}${path}${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  }));
}

export function googleHeaders(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    authorization: `Bearer ${D.google.staticAccessToken}`,
    'developer-token': D.google.developerToken,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export async function postGoogle<T = unknown>(
  sandbox: Sandbox, method: 'uploadClickConversions' | 'uploadConversionAdjustments', body: unknown,
  headers: Record<string, string> = googleHeaders(), customerId: string = D.google.customerId,
): Promise<Answer<T>> {
  const url = `${sandbox.googleAdsBaseUrl}/${D.google.apiVersion}/customers/${customerId}:${method}`;
  return answer<T>(await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
}

/** Google date-time, `offsetMinutes` east of UTC. */
export function googleDateTime(ms: number, offsetMinutes = 540): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function clickRow(overrides: Record<string, unknown> = {}): GoogleClickConversion {
  return {
    conversionAction: ACTION,
    conversionDateTime: googleDateTime(Date.now() - 3_600_000),
    gclid: 'Cj0KCQiA-test-gclid_1',
    orderId: 'order-1',
    conversionValue: 4980,
    currencyCode: 'JPY',
    userIdentifiers: [{ userIdentifierSource: 'FIRST_PARTY', hashedEmail: sha256('johnsmith@gmail.com') }, { hashedPhoneNumber: sha256('+819012345678') }],
    consent: { adUserData: 'GRANTED' },
    ...overrides,
  };
}

export function adjustmentRow(overrides: Record<string, unknown> = {}): GoogleConversionAdjustment {
  return {
    adjustmentType: 'ENHANCEMENT',
    conversionAction: ACTION,
    orderId: 'order-1',
    gclidDateTimePair: { conversionDateTime: googleDateTime(Date.now() - 3_600_000) },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    userIdentifiers: [
      { hashedEmail: sha256('johnsmith@gmail.com') },
      { addressInfo: { hashedFirstName: sha256('john'), hashedLastName: sha256('smith'), countryCode: 'JP', postalCode: '100-0001', city: 'Tokyo' } },
    ],
    ...overrides,
  };
}

export async function getOAuthToken<T = unknown>(sandbox: Sandbox, params: Record<string, string>): Promise<Answer<T>> {
  return answer<T>(await fetch(sandbox.oauthTokenUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString(),
  }));
}

export const DEFAULT_GRANT = {
  grant_type: 'refresh_token', client_id: D.oauth.clientId, client_secret: D.oauth.clientSecret, refresh_token: D.oauth.refreshToken,
};

export async function controlCall<T = unknown>(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  return answer<T>(await fetch(`${sandbox.url}${path}`, init));
}
