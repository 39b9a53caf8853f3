import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GooglePreparedEvent, MetaPreparedEvent } from '@capconnect/core';

export const sha = (value: string): string => createHash('sha256').update(value).digest('hex');

export const nowS = (): number => Math.floor(Date.now() / 1000);

export function metaPrepared(overrides: Partial<MetaPreparedEvent['event']> = {}, match: MetaPreparedEvent['match'] = {}): MetaPreparedEvent {
  return {
    provider: 'meta',
    event: { eventName: 'Purchase', eventId: 'order-1', eventTime: nowS() - 60, value: 4980, currency: 'JPY', orderId: 'order-1', actionSource: 'website', ...overrides },
    userData: { em: [sha('john_smith@gmail.com')], ph: [sha('16505551212')] },
    match: { clientIpAddress: '203.0.113.7', clientUserAgent: 'Mozilla/5.0 (canary)', eventSourceUrl: 'https://shop.example.com/thanks', fbc: 'fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890', ...match },
  };
}

export function googlePrepared(overrides: Partial<GooglePreparedEvent> = {}, event: Partial<GooglePreparedEvent['event']> = {}): GooglePreparedEvent {
  return {
    provider: 'google',
    event: { eventName: 'Purchase', eventId: 'order-1', eventTime: nowS() - 8 * 3600, value: 125.5, currency: 'USD', orderId: 'order-1', actionSource: 'website', ...event },
    mode: 'click',
    conversionActionId: '987654321',
    adUserDataConsent: 'GRANTED',
    digests: { hashedEmail: [sha('alexz@example.com')], hashedPhoneNumber: [sha('+18005550100')] },
    match: { gclid: 'Cj0KCQiA-canary-gclid' },
    ...overrides,
  };
}

/** A throwaway HTTP server for shapes the sandbox does not produce (e.g. a Meta 100 naming no index). */
export async function startFakeServer(handler: (body: unknown, req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      handler(text === '' ? undefined : JSON.parse(text), req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.close(() => { resolve(); }); server.closeAllConnections(); }),
  };
}
