import type { Command } from 'commander';
import type { Io } from './output.js';

/**
 * `start`, `demo`, `hash` and `preview`: the commands that need the api, worker and core.
 * Registered here so cli.ts stays about operating the queues.
 */
export function registerStackCommands(_program: Command, _io: Io, _env: NodeJS.ProcessEnv, _setExit: (code: number) => void): void {
  // Filled in as the api, worker and core land.
}
