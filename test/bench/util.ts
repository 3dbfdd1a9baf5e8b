/** Benchmark plumbing: rows, child processes with peak memory, medians. */
import { spawn } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type BenchRow = {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** The same measure for the baseline, taken in the same run. */
  baseline?: number;
  /** value / baseline (higher is better for rates, lower for memory — see `note`). */
  ratio?: number;
  note?: string;
};

export const BIN = fileURLToPath(new URL('../../bin/ossmigrate.js', import.meta.url));

/**
 * The command line and environment that start the CLI `bin` as a user does (issue #16): the
 * executable itself, with this Node's directory first on PATH for its shebang
 * (`#!/usr/bin/env -S node <runtime flags>`), so one Node bootstrap has the flags from the start.
 * `BENCH_CLI=node` starts `node bin/ossmigrate.js` instead, which re-execs itself once to add
 * them (a second bootstrap). Node flags go on node's command line there, else in NODE_OPTIONS.
 */
export function cliStart(
  bin: string,
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
  via: 'exec' | 'node' = process.env.BENCH_CLI === 'node' ? 'node' : 'exec',
): { argv: string[]; env: Record<string, string> } {
  if (via === 'node') return { argv: [process.execPath, ...nodeFlags, bin, ...args], env };
  const path = [dirname(process.execPath), env.PATH ?? '/usr/bin:/bin'].join(delimiter);
  const options = [env.NODE_OPTIONS, ...nodeFlags].filter(Boolean).join(' ');
  return { argv: [bin, ...args], env: { ...env, PATH: path, ...(options ? { NODE_OPTIONS: options } : {}) } };
}
const RSS_HOOK = fileURLToPath(new URL('./rss-hook.mjs', import.meta.url));

export type ChildRun = {
  code: number | null;
  ms: number;
  maxRssMiB: number;
  cpuMs: number;
  stdout: string;
  stderr: string;
};

/**
 * Run a Node script/CLI as a child process and report wall time, peak RSS and CPU time
 * (process.resourceUsage at exit, printed by a preloaded hook: no external tools needed).
 */
export function runNode(
  args: string[],
  o: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', RSS_HOOK, ...args], {
    cwd: o.cwd ?? process.cwd(),
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const m = /OSSMIGRATE_BENCH_USAGE (\d+) (\d+)/.exec(stderr);
      resolve({
        code,
        ms: performance.now() - started,
        maxRssMiB: m ? Number(m[1]) / 1024 : Number.NaN,
        cpuMs: m ? Number(m[2]) / 1000 : Number.NaN,
        stdout,
        stderr,
      });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const MB = 1e6;
export const MiB = 1024 * 1024;

export function row(r: BenchRow): BenchRow {
  return r.baseline !== undefined && r.baseline !== 0 && r.ratio === undefined
    ? { ...r, ratio: r.value / r.baseline }
    : r;
}
