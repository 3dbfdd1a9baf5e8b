/** Run the real CLI (bin/ossmigrate.js) as a subprocess, the way users do. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ossmigrate.js', import.meta.url));

export type CliResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};

/** A running CLI: its output so far, and its result when it exits. */
export type CliProc = {
  child: ChildProcess;
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
};

/** Start the CLI; resolve with its output when it exits. */
export function startCli(args: string[], o: { cwd: string; env?: Record<string, string> }): CliProc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: o.cwd,
    env: { ...cleanEnv(), ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export function runCli(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return startCli(args, o).done;
}

/** The parent's environment without credentials that could leak into a test. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(ALIBABA_CLOUD|OSS_|TENCENTCLOUD|OSSMIGRATE_|UPYUN_|AZURE_STORAGE|AWS_)/.test(k))
      continue;
    env[k] = v;
  }
  env.HOME = env.HOME ?? '/tmp';
  return env;
}

/** NDJSON stdout → events. */
export function events(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
