import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultArg, parseSandboxArgs, STANDALONE_DEFAULT_PORT } from './args.js';
import { FaultSpecError } from './faults.js';
import { metaEvent } from './test/fixtures.js';
import { SANDBOX_DEFAULTS } from './options.js';

describe('the standalone argument parser', () => {
  it('defaults to port 4010 with no faults', () => {
    expect(parseSandboxArgs([], {})).toEqual({ help: false, options: { port: STANDALONE_DEFAULT_PORT, faults: [] } });
  });

  it('reads flags, repeated flags and environment variables, flags winning', () => {
    const parsed = parseSandboxArgs(
      ['--port', '0', '--fault', 'meta:http-503:count=3', '--fault', 'google:resource-exhausted:ratio=0.25,retryAfterS=5',
        '--meta-pixel', '1', '--meta-pixel', '2', '--google-login-customer-id', '5555555555', '--oauth-client', 'id:secret:rt1|rt2'],
      { SANDBOX_PORT: '9999', SANDBOX_SEED: '42', SANDBOX_FAULTS: 'oauth:drop', SANDBOX_TOKEN_LIFETIME_S: '5' },
    );
    expect(parsed.options).toEqual({
      port: 0,
      seed: 42,
      faults: [{ provider: 'meta', kind: 'http-503', count: 3 }, { provider: 'google', kind: 'resource-exhausted', ratio: 0.25, retryAfterS: 5 }],
      meta: { pixels: ['1', '2'] },
      google: { loginCustomerId: '5555555555' },
      oauth: { clients: [{ clientId: 'id', clientSecret: 'secret', refreshTokens: ['rt1', 'rt2'] }], tokenLifetimeS: 5 },
    });
    expect(parseSandboxArgs([], { SANDBOX_FAULTS: 'oauth:drop; meta:meta-transient:metaCode=17' }).options.faults)
      .toEqual([{ provider: 'oauth', kind: 'drop' }, { provider: 'meta', kind: 'meta-transient', metaCode: 17 }]);
  });

  it('accepts the `--` that `pnpm --filter @capconnect/sandbox start -- --port 4011` passes on', () => {
    expect(parseSandboxArgs(['--', '--port', '4011'], {}).options.port).toBe(4011);
    expect(parseSandboxArgs(['--', '--meta-min-version', 'v26.0', '--meta-version-warning', 'soon'], {}).options.meta)
      .toEqual({ minApiVersion: 'v26.0', versionWarning: 'soon' });
    // Only a leading one: a stray positional later is still refused.
    expect(() => parseSandboxArgs(['--port', '4011', '--', 'extra'], {})).toThrow();
  });

  it('refuses bad input with a reason', () => {
    expect(() => parseSandboxArgs(['--port', 'abc'])).toThrow(/port/);
    expect(() => parseSandboxArgs(['--bogus'])).toThrow();
    expect(() => parseFaultArg('meta')).toThrow(FaultSpecError);
    expect(() => parseFaultArg('meta:http-503:times=3')).toThrow(/not one of/);
    expect(() => parseFaultArg('google:meta-transient')).toThrow(/kind must be one of/);
    expect(() => parseSandboxArgs(['--oauth-client', 'only-id'])).toThrow(/oauth-client/);
  });
});

describe('the built standalone process', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  let outDir = '';
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'sandbox-dist-'));
    await writeFile(join(outDir, 'package.json'), '{"type":"module"}');
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false']);
  }, 120_000);
  afterAll(async () => { await rm(outDir, { recursive: true, force: true }); });

  it('starts with flags, applies a command-line fault and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(outDir, 'main.js'), '--port', '0', '--fault', 'meta:http-503:count=1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      const banner = JSON.parse(first) as { url: string; faults: number };
      expect(banner.faults).toBe(1);
      const post = (): Promise<Response> => fetch(`${banner.url}/v25.0/${SANDBOX_DEFAULTS.meta.pixelId}/events?access_token=${SANDBOX_DEFAULTS.meta.accessToken}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [metaEvent()] }),
      });
      expect((await post()).status).toBe(503);
      expect((await post()).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
