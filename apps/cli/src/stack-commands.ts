import type { Command } from 'commander';
import { HASHABLE_FIELDS, hashCommand } from './hash.js';
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
  hash.action((options: Record<string, unknown> & { json?: boolean; defaultCountryCode: string }) => {
    setExit(hashCommand(io, options, { defaultCallingCode: options.defaultCountryCode, ...(options.json && { json: true }) }));
  });
}
