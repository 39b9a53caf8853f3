import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLocalPort } from '@capconnect/sandbox';

/** A helper process of the benchmark (baseline or reference server, no-op worker), started from bench/dist. */
export interface BenchProcess {
  child: ChildProcess;
  url?: string;
  stop(): Promise<void>;
}

export async function startBenchProcess(script: 'baseline-server' | 'reference-server' | 'noop-worker', env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<BenchProcess> {
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
  if (script !== 'noop-worker') {
    const url = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) return { child, url, stop };
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    await stop();
    throw new Error(`${script} did not start`);
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

let clockTicksPerS: number | undefined;

/** Clock ticks per second of `/proc` CPU times (`getconf CLK_TCK`, 100 on Linux almost everywhere). */
function clockTicks(): number {
  if (clockTicksPerS === undefined) {
    try {
      clockTicksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerS = 100;
    }
  }
  return clockTicksPerS;
}

/**
 * CPU time a live process has used so far (user + system, its own threads; Linux `/proc/<pid>/stat`
 * fields 14 and 15), in µs; undefined elsewhere. Resolution is one clock tick (10 ms at 100 Hz).
 */
export function cpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses); field 3 is first.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[14 - 3]);
    const stime = Number(fields[15 - 3]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return ((utime + stime) / clockTicks()) * 1e6;
  } catch {
    return undefined;
  }
}
