/**
 * `npm run demo`: the whole migration, offline. Starts the sandbox (local OSS and COS emulators
 * the real SDKs talk to; Azurite too with --source azure) with the demo data, and drives every
 * phase — plan, provision, full copy, verify, mirror on, cutover, incremental, final verify,
 * report, teardown — while a simulated business keeps writing to the source and then reads and
 * writes OSS. Behind the mirror rule (COS, S3) it switches at cutover (keys only in the source
 * are fetched back-to-origin); from Azure, which OSS cannot mirror, the cutover is a write freeze
 * and it switches once the final incremental has copied its writes.
 *
 *   npm run demo                 the Ink UI; you confirm the cutover and the teardown
 *   npm run demo -- --yes        unattended to the end; prints the report's path, exits 0
 *   (no terminal)                plain progress lines, answers automatically (it is a sandbox)
 *
 * The work dir is a fresh temporary directory (the sandbox lives in memory and dies with the
 * demo, so a demo job cannot be resumed later); its path is printed and it is kept, report
 * included. --workdir DIR uses DIR instead (any earlier demo job in it is removed first).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SANDBOX_SOURCES, startSandbox } from '../test/sandbox/sandbox.ts';
import { demoFlow } from './demo/flow.ts';
import { runTui } from './main.tsx';

const HELP = `usage: npm run demo [-- --yes] [-- --workdir DIR] [-- --bwlimit RATE] [-- --source cos|s3|azure]

Walks a whole migration to OSS against local emulators, with a simulated business.
  -y, --yes              unattended: confirm the cutover and teardown automatically; print the report's path
  --workdir DIR          work dir (default: a new temporary directory, kept afterwards)
  --bwlimit RATE         bandwidth limit for the copy (default: 10M in the interactive UI, off otherwise)
  --source cos|s3|azure  the source: COS through its COS API (default), the same emulator as an S3 source,
                         or Azure Blob (Azurite). OSS cannot mirror from Azure: its cutover is a write freeze
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      yes: { type: 'boolean', short: 'y', default: false },
      workdir: { type: 'string' },
      bwlimit: { type: 'string' },
      source: { type: 'string', default: 'cos' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const yes = values.yes || !tty;
  const say = (l: string) => void process.stderr.write(`${l}\n`);
  if (!tty && !values.yes)
    say(
      'no terminal: plain progress lines; the confirmations are answered automatically (this is a sandbox)',
    );

  const source = SANDBOX_SOURCES.find((s) => s === values.source);
  if (!source) {
    process.stderr.write(`--source ${values.source}: unknown; use ${SANDBOX_SOURCES.join(' or ')}\n`);
    return 2;
  }
  const about = {
    cos: 'local OSS and COS emulators, COS seeded with the demo data',
    s3: 'local OSS and COS emulators, COS seeded with the demo data, read through its S3 API',
    azure:
      'the local OSS emulator and Azurite (Azure Blob) seeded with the demo data; OSS cannot mirror from Azure, so the cutover is a write freeze',
  }[source];
  say(`starting the sandbox: ${about}…`);
  const sb = await startSandbox({ seed: 'demo', restoreDelayMs: 1500, source });
  try {
    // Throwaway sandbox keys, into the environment as a real run would take them.
    Object.assign(process.env, sb.env());
    const workdir = values.workdir ?? (await mkdtemp(join(tmpdir(), 'ossmigrate-demo-')));
    const bwlimit = values.bwlimit ?? (tty && !yes ? '10M' : 'off');
    const { start, business } = await demoFlow(sb, { source, workdir, bwlimit, say });
    const outcome = await runTui(start, { infra: 'sandbox', yes, tty });
    if (business.errors.length) for (const e of business.errors) say(`business: ${e}`);
    return outcome.exitCode;
  } finally {
    await sb.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
