import type { Command } from 'commander';
import { dashboardCommand } from './dashboard.js';
import { demoCommand } from './demo.js';
import { HASHABLE_FIELDS, hashCommand } from './hash.js';
import { startCommand } from './local-stack.js';
import { previewCommand } from './preview.js';
import type { Io } from './output.js';

/**
 * `start`, `demo`, `hash` and `preview`: the commands that run or try the pipeline, as opposed to
 * operating the queues (cli.ts).
 */
export function registerStackCommands(program: Command, io: Io, env: NodeJS.ProcessEnv, setExit: (code: number) => void): void {
  const hash = program.command('hash')
    .description('show the digests each provider would receive for customer values (same rules as ingest)')
    .option('--json', 'machine-readable output')
    .option('--default-country-code <digits>', 'calling code for national phone numbers', env.DEFAULT_COUNTRY_CODE ?? '81');
  for (const field of HASHABLE_FIELDS) {
    hash.option(`--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} <value>`, `customer.${field}`);
  }
  program.command('start')
    .description('run the local stack: api, a worker and (without provider credentials) the sandbox providers')
    .option('--verbose', 'show the services\' JSON logs')
    .action(async (options: { verbose?: boolean }) => {
      setExit(await startCommand(io, env, { cwd: process.cwd(), ...(options.verbose && { verbose: true }) }));
    });

  program.command('demo')
    .description('send a realistic mix of events through the local stack and show what each provider received')
    .option('--timeout <seconds>', 'how long to wait for outcomes', (value) => Number.parseInt(value, 10), 20)
    .action(async (options: { timeout: number }) => {
      setExit(await demoCommand(io, env, { cwd: process.cwd(), timeoutS: options.timeout }));
    });

  program.command('preview')
    .description('the exact provider payloads an event would produce (sealed fields masked), without sending it')
    .argument('[file]', 'a JSON file with one event; stdin when omitted or -')
    .action((file: string | undefined) => {
      setExit(previewCommand(io, env, file === undefined ? {} : { file }));
    });

  program.command('dashboard')
    .description('Bull Board over every queue and shard, behind a DASHBOARD_TOKEN login; read-only unless --allow-retry')
    .option('--port <port>', 'port to listen on', (value) => Number.parseInt(value, 10), 3100)
    .option('--host <host>', 'interface to bind (keep it private)', '127.0.0.1')
    .option('--allow-retry', 'allow retrying and removing jobs')
    .action(async (options: { port: number; host: string; allowRetry?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<{ redisUrl: string; prefix: string }>();
      setExit(await dashboardCommand(io, env, {
        redisUrl: global.redisUrl, prefix: global.prefix, port: options.port, host: options.host, allowRetry: options.allowRetry === true,
      }));
    });

  hash.action((options: Record<string, unknown> & { json?: boolean; defaultCountryCode: string }) => {
    setExit(hashCommand(io, options, { defaultCallingCode: options.defaultCountryCode, ...(options.json && { json: true }) }));
  });
}
