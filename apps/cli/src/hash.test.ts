import { createHash } from 'node:crypto';
import { captureIo } from '@capconnect/testkit';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { hashCustomer } from './hash.js';

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

describe('capconnect hash', () => {
  it('shows each provider its own normalization of the same phone and email', () => {
    const { rows, warnings } = hashCustomer({ email: ' John.Doe+shop@GMAIL.com ', phone: '090-1234-5678' }, { defaultCallingCode: '81', nowMs: Date.now() });
    expect(rows).toEqual(expect.arrayContaining([
      { provider: 'meta', field: 'em', digest: sha('john.doe+shop@gmail.com') },
      { provider: 'meta', field: 'ph', digest: sha('819012345678') },
      { provider: 'google', field: 'hashedEmail', digest: sha('johndoe@gmail.com') },
      { provider: 'google', field: 'hashedPhoneNumber', digest: sha('+819012345678') },
    ]));
    expect(warnings).toEqual([]);
  });

  it('prints a table and warnings for values that would be dropped, exit 0', async () => {
    const io = captureIo();
    expect(await runCli(['hash', '--email', 'not-an-email', '--country', 'Japan', '--first-name', "O'Brien"], io)).toBe(0);
    expect(io.stdout()).toContain(`meta      fn       ${sha('obrien')}`);
    expect(io.stdout()).toContain(`meta      country  ${sha('jp')}`);
    expect(io.stdout()).toContain('warning: customer.email: invalid_email (dropped)');
  });

  it('outputs JSON and rejects a call without fields', async () => {
    const io = captureIo();
    expect(await runCli(['hash', '--json', '--phone', '(650)555-1212', '--country', 'US'], io)).toBe(0);
    const parsed = JSON.parse(io.stdout()) as { rows: { field: string; digest: string }[] };
    expect(parsed.rows.find((row) => row.field === 'ph')?.digest).toBe(sha('16505551212'));
    expect(await runCli(['hash'], captureIo())).toBe(2);
  });
});
