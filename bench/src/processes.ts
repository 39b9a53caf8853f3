import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLocalPort } from '@capconnect/sandbox';

/** A helper process of the benchmark (baseline server, no-op worker), started from bench/dist. */
export interface BenchProcess {
  child: ChildProcess;
  url?: string;
  stop(): Promise<void>;
}

export async function startBenchProcess(script: 'baseline-server' | 'noop-worker', env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<BenchProcess> {
  const port = await freeLocalPort();
  const child = spawn(process.execPath, [...nodeFlags, fileURLToPath(new URL(`./${script}.js`, import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  if (script === 'baseline-server') {
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) return { child, url, stop };
      } catch {
        await sleep(100);
      }
    }
    await stop();
    throw new Error('baseline server did not start');
  }
  return { child, stop };
}

/** `process_resident_memory_bytes` from a Prometheus endpoint, in MiB. */
export async function residentMemoryMiB(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((entry) => entry.startsWith('process_resident_memory_bytes '));
  return line ? Number(line.split(' ')[1]) / 2 ** 20 : Number.NaN;
}

/** Peak resident memory of a live process so far (Linux `VmHWM`), in MiB; undefined elsewhere. */
export function peakResidentMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}
