/** Benchmark plumbing: rows, child processes with peak memory, medians. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
 * With Node flags (most V8 flags are refused in NODE_OPTIONS) it is `node <shebang flags> <flags>
 * bin`: still one bootstrap. `via: 'node'` (env BENCH_CLI=node) starts `node <flags> bin`, which
 * re-execs itself once to add the runtime flags (a second bootstrap), as the benches used to.
 */
export function cliStart(
  bin: string,
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
  via: 'exec' | 'node' = process.env.BENCH_CLI === 'node' ? 'node' : 'exec',
): { argv: string[]; env: Record<string, string> } {
  // Started outside npm (`node_modules/.bin/tsx bench.ts` from a shell), tsx finds this machine's
  // older Node first: the CLI would hand over to the project's (a second process in every figure)
  // and the node:http pipe would run on another Node than the CLI.
  if (Number(process.versions.node.split('.')[0]) < 22)
    throw new Error(
      `benchmarks run on Node ${process.version}, not the project's: use npm run bench or npx tsx …, which put the project's Node first on PATH`,
    );
  if (via === 'node') return { argv: [process.execPath, ...nodeFlags, bin, ...args], env };
  if (nodeFlags.length)
    return { argv: [process.execPath, ...shebangFlags(bin), ...nodeFlags, bin, ...args], env };
  return {
    argv: [bin, ...args],
    env: { ...env, PATH: [dirname(process.execPath), env.PATH].join(delimiter) },
  };
}

/** The Node flags of a launcher's `#!/usr/bin/env -S node …` line. */
function shebangFlags(bin: string): string[] {
  const line = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node(.*)$/.exec(line);
  if (!m) throw new Error(`${bin}: no "#!/usr/bin/env -S node" line`);
  return m[1]!.split(' ').filter(Boolean);
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
