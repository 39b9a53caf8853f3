import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { captureIo } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

const sha = (value: string) => createHash('sha256').update(value).digest('hex');
const event = {
  customer: { email: 'Preview.User@Example.com', phone: '090-1234-5678', country: 'JP' },
  event: {
    eventName: 'Purchase', eventId: 'preview-1', orderId: 'preview-1', value: 100, currency: 'JPY', actionSource: 'website',
    eventSourceUrl: 'https://shop.example.com/p', clientUserAgent: 'Mozilla/5.0 preview-agent', clientIpAddress: '198.51.100.9', gclid: 'Cj0KCQ-preview',
  },
};

describe('capconnect preview', () => {
  it('prints the exact provider payloads with sealed fields masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capconnect-preview-'));
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(event));
    const io = captureIo();
    expect(await runCli(['preview', file], io, {})).toBe(0);
    const answer = JSON.parse(io.stdout()) as { destinations: { provider: string; payload: Record<string, unknown> }[] };
    const meta = answer.destinations.find((destination) => destination.provider === 'meta');
    const google = answer.destinations.find((destination) => destination.provider === 'google');
    expect(meta?.payload).toMatchObject({ event_name: 'Purchase', user_data: { em: [sha('preview.user@example.com')], ph: [sha('819012345678')], client_ip_address: '[sealed]' } });
    // The sandbox settings use the Data Manager path (the default for new configurations): the whole request.
    expect(google?.payload).toMatchObject({
      encoding: 'HEX',
      events: [{ adIdentifiers: { gclid: '[sealed]' }, userData: { userIdentifiers: expect.arrayContaining([{ phoneNumber: sha('+819012345678') }]) as unknown } }],
    });
    expect(io.stdout()).not.toMatch(/198\.51\.100\.9|preview-agent|Cj0KCQ-preview|shop\.example\.com/);
    expect(io.stderr()).toContain('local sandbox settings');
  });

  it('exits 1 with the contract issues for an invalid event, and 2 for unreadable input', async () => {
    const io = captureIo();
    const dir = mkdtempSync(join(tmpdir(), 'capconnect-preview-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ event: {} }));
    writeFileSync(join(dir, 'broken.json'), '{not json');
    expect(await runCli(['preview', join(dir, 'bad.json')], io, {})).toBe(1);
    expect(JSON.parse(io.stdout())).toMatchObject({ error: 'invalid_event', issues: [{ path: 'event.eventName' }] });
    expect(await runCli(['preview', join(dir, 'broken.json')], captureIo(), {})).toBe(2);
    expect(await runCli(['preview', join(dir, 'missing.json')], captureIo(), {})).toBe(2);
  });
});
