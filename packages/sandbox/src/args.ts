import { parseArgs } from 'node:util';
import { FaultSpecError, validateFaultSpec, type FaultSpec } from './faults.js';
import type { SandboxOAuthClient, SandboxOptions } from './options.js';

/** Port of the standalone process when neither `--port` nor SANDBOX_PORT says otherwise. */
export const STANDALONE_DEFAULT_PORT = 4010;

export const USAGE = `Usage: node dist/main.js [options]   (pnpm --filter @capconnect/sandbox start -- [options])

  --port <n>                      listen port (env SANDBOX_PORT; default ${STANDALONE_DEFAULT_PORT}; 0 = any free port)
  --host <addr>                   bind address (env SANDBOX_HOST; default 127.0.0.1)
  --seed <n>                      PRNG seed for ratio faults (env SANDBOX_SEED; default 1)
  --fault <spec>                  repeatable; env SANDBOX_FAULTS holds specs separated by ';'
                                  spec = provider:kind[:key=value,...], e.g. meta:http-503:count=3,
                                  google:resource-exhausted:ratio=0.2,retryAfterS=5, meta:meta-transient:metaCode=17
  --meta-pixel <id>               repeatable; known pixel ids
  --meta-token <token>            repeatable; valid Meta access tokens
  --meta-min-version <vNN.N>      refuse older Graph API versions with error #2635
  --meta-version-warning <text>   send X-Ad-Api-Version-Warning with this text on every Meta answer
  --google-customer <id>          repeatable; known customer ids (10 digits)
  --google-action <id>            repeatable; known conversion action ids
  --google-token <token>          repeatable; static bearer tokens
  --google-developer-token <t>    required developer-token header
  --google-login-customer-id <id> require this login-customer-id header
  --oauth-client <id:secret:rt>   repeatable; refresh tokens separated by '|'
  --token-lifetime <s>            lifetime of issued access tokens (env SANDBOX_TOKEN_LIFETIME_S)
  --max-body-bytes <n>            largest request body; larger answers 413 (env SANDBOX_MAX_BODY_BYTES; default 16 MiB)
  --help                          this text`;

export interface ParsedArgs {
  help: boolean;
  options: SandboxOptions & { port: number };
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

const NUMERIC_FAULT_KEYS = new Set(['count', 'ratio', 'delayMs', 'retryAfterS', 'metaCode', 'eventIndex']);

/** `provider:kind[:key=value,...]` → FaultSpec; throws FaultSpecError with the reason. */
export function parseFaultArg(text: string): FaultSpec {
  const [provider, kind, params, ...rest] = text.trim().split(':');
  if (provider === undefined || kind === undefined || rest.length > 0) throw new FaultSpecError(`fault "${text}" must look like provider:kind[:key=value,...]`);
  const spec: Record<string, unknown> = { provider, kind };
  for (const pair of params === undefined || params === '' ? [] : params.split(',')) {
    const [key, value] = pair.split('=');
    if (key === undefined || value === undefined || !NUMERIC_FAULT_KEYS.has(key)) {
      throw new FaultSpecError(`fault "${text}": "${pair}" is not one of ${[...NUMERIC_FAULT_KEYS].join(', ')}=<number>`);
    }
    spec[key] = Number(value);
  }
  return validateFaultSpec(spec);
}

function oauthClient(text: string): SandboxOAuthClient {
  const [clientId, clientSecret, refreshTokens] = text.split(':');
  if (clientId === undefined || clientSecret === undefined || refreshTokens === undefined || clientId === '' || refreshTokens === '') {
    throw new Error(`--oauth-client "${text}" must look like clientId:clientSecret:refreshToken[|refreshToken...]`);
  }
  return { clientId, clientSecret, refreshTokens: refreshTokens.split('|') };
}

/**
 * Flags win over environment variables. Pure: throws an Error with the reason on bad input. A
 * leading `--` is skipped: `pnpm --filter @capconnect/sandbox start -- --port 4011` hands it on, and
 * `parseArgs` would read everything after it as positional arguments.
 */
export function parseSandboxArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParsedArgs {
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    strict: true,
    options: {
      port: { type: 'string' }, host: { type: 'string' }, seed: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'meta-pixel': { type: 'string', multiple: true }, 'meta-token': { type: 'string', multiple: true },
      'meta-min-version': { type: 'string' }, 'meta-version-warning': { type: 'string' },
      'google-customer': { type: 'string', multiple: true }, 'google-action': { type: 'string', multiple: true },
      'google-token': { type: 'string', multiple: true }, 'google-developer-token': { type: 'string' },
      'google-login-customer-id': { type: 'string' },
      'oauth-client': { type: 'string', multiple: true }, 'token-lifetime': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const port = values.port ?? env['SANDBOX_PORT'];
  const seed = values.seed ?? env['SANDBOX_SEED'];
  const host = values.host ?? env['SANDBOX_HOST'];
  const lifetime = values['token-lifetime'] ?? env['SANDBOX_TOKEN_LIFETIME_S'];
  const faultTexts = values.fault ?? (env['SANDBOX_FAULTS'] ?? '').split(';').filter((part) => part.trim() !== '');

  const options: SandboxOptions & { port: number } = {
    port: port === undefined ? STANDALONE_DEFAULT_PORT : integer('port', port, 0),
    faults: faultTexts.map(parseFaultArg),
  };
  if (host !== undefined) options.host = host;
  if (seed !== undefined) options.seed = integer('seed', seed, 0);
  const maxBodyBytes = values['max-body-bytes'] ?? env['SANDBOX_MAX_BODY_BYTES'];
  if (maxBodyBytes !== undefined) options.maxBodyBytes = integer('max-body-bytes', maxBodyBytes, 1);

  const meta: NonNullable<SandboxOptions['meta']> = {};
  if (values['meta-pixel'] !== undefined) meta.pixels = values['meta-pixel'];
  if (values['meta-token'] !== undefined) meta.accessTokens = values['meta-token'];
  if (values['meta-min-version'] !== undefined) meta.minApiVersion = values['meta-min-version'];
  if (values['meta-version-warning'] !== undefined) meta.versionWarning = values['meta-version-warning'];
  if (Object.keys(meta).length > 0) options.meta = meta;

  const google: NonNullable<SandboxOptions['google']> = {};
  if (values['google-customer'] !== undefined) google.customerIds = values['google-customer'];
  if (values['google-action'] !== undefined) google.conversionActions = values['google-action'];
  if (values['google-token'] !== undefined) google.staticAccessTokens = values['google-token'];
  if (values['google-developer-token'] !== undefined) google.developerToken = values['google-developer-token'];
  if (values['google-login-customer-id'] !== undefined) google.loginCustomerId = values['google-login-customer-id'];
  if (Object.keys(google).length > 0) options.google = google;

  const oauth: NonNullable<SandboxOptions['oauth']> = {};
  if (values['oauth-client'] !== undefined) oauth.clients = values['oauth-client'].map(oauthClient);
  if (lifetime !== undefined) oauth.tokenLifetimeS = integer('token-lifetime', lifetime, 1);
  if (Object.keys(oauth).length > 0) options.oauth = oauth;

  return { help: values.help === true, options };
}
