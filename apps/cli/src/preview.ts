import { readFileSync } from 'node:fs';
import { previewAnswer } from '@capconnect/api';
import { ConfigError, loadConfig, type Config } from '@capconnect/config';
import { createLogger, memoryDestination } from '@capconnect/telemetry';
import { hasProviderCredentials } from './local-stack.js';
import { EXIT, writeLine, type Io } from './output.js';
import { sandboxEnv } from './stack.js';

/**
 * `capconnect preview [file]`: what `/v1/preview` would answer for an event (a JSON file, or
 * stdin): the exact provider payloads with sealed fields masked, the skips and the warnings, under
 * the provider settings of the environment, or the local sandbox's when none are configured.
 */
export function previewCommand(io: Io, env: NodeJS.ProcessEnv, options: { file?: string; stdin?: string }): number {
  let text: string;
  try {
    text = options.file !== undefined && options.file !== '-' ? readFileSync(options.file, 'utf8') : options.stdin ?? readFileSync(0, 'utf8');
  } catch {
    writeLine(io.err, `cannot read ${options.file ?? 'stdin'}`);
    return EXIT.usage;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    writeLine(io.err, 'the input is not valid JSON');
    return EXIT.usage;
  }
  const sandbox = !hasProviderCredentials(env);
  let config: Config;
  try {
    const fakeUrls = { metaBaseUrl: 'http://127.0.0.1', googleAdsBaseUrl: 'http://127.0.0.1', dataManagerBaseUrl: 'http://127.0.0.1', oauthTokenUrl: 'http://127.0.0.1/token' };
    config = loadConfig(sandbox ? { ...env, ...sandboxEnv(fakeUrls) } : env, { service: 'cli', allowMissingSecrets: true });
  } catch (error) {
    writeLine(io.err, error instanceof ConfigError ? error.message : 'could not load the configuration');
    return EXIT.usage;
  }
  if (sandbox) writeLine(io.err, 'no provider credentials in the environment: previewing with the local sandbox settings');
  const answer = previewAnswer(body, config, Date.now(), createLogger({ service: 'cli', level: 'silent', destination: memoryDestination() }));
  writeLine(io.out, JSON.stringify(answer.body, null, 2));
  return answer.status === 200 ? EXIT.ok : EXIT.failure;
}
