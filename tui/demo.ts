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
import { destinationStore, makeStores, sourceStore } from '../runner/adapters/factory.ts';
import { SandboxDriver } from '../runner/adapters/infra/sandbox.ts';
import { JobSession } from '../runner/app/jobService.ts';
import { cutoverModeFor } from '../runner/app/migration/cutoverMode.ts';
import { type MigrationDeps, runMigration } from '../runner/app/migration/orchestrator.ts';
import { ProgressFile } from '../runner/app/migration/progressFile.ts';
import { Workspace } from '../runner/app/workspace.ts';
import { type Credentials, secretValues } from '../runner/config/credentials.ts';
import { parseJob } from '../runner/config/job.ts';
import { SANDBOX_SOURCES, startSandbox } from '../test/sandbox/sandbox.ts';
import { Business } from './demo/business.ts';
import type { StartFlow } from './hooks/useMigration.ts';
import { runTui } from './main.tsx';
import type { Action } from './state/types.ts';

const JOB = 'demo';

const HELP = `usage: npm run demo [-- --yes] [-- --workdir DIR] [-- --bwlimit RATE] [-- --source cos|s3|azure]

Walks a whole migration to OSS against local emulators, with a simulated business.
  -y, --yes              unattended: confirm the cutover and teardown automatically; print the report's path
  --workdir DIR          work dir (default: a new temporary directory, kept afterwards)
  --bwlimit RATE         bandwidth limit for the copy (default: 10M in the interactive UI, off otherwise)
  --source cos|s3|azure  the source: COS through its COS API (default), the same emulator as an S3 source,
                         or Azure Blob (Azurite). OSS cannot mirror from Azure: its cutover is a write freeze
`;

/** How the business's lines and the report name the source. */
const LABEL = { cos: 'COS', s3: 'S3', azure: 'Azure' } as const;

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
    const info = sb.info;
    const creds: Credentials = {
      oss: { accessKeyId: info.oss.accessKeyId, accessKeySecret: info.oss.accessKeySecret },
      cos: { secretId: info.cos.secretId, secretKey: info.cos.secretKey },
      // The S3 source is the same emulator through its S3 API, with the same key.
      s3: { accessKeyId: info.cos.secretId, secretAccessKey: info.cos.secretKey },
      // Azurite's public development account.
      ...(info.azure
        ? { azure: { accountName: info.azure.account, accountKey: info.azure.accountKey } }
        : {}),
      origin: { oss: 'sandbox', cos: 'sandbox', s3: 'sandbox', azure: 'sandbox' },
    };
    const workdir = values.workdir ?? (await mkdtemp(join(tmpdir(), 'ossmigrate-demo-')));
    const ws = new Workspace(workdir);
    if ((await ws.jobs()).includes(JOB)) await ws.removeJob(JOB);
    const bwlimit = values.bwlimit ?? (tty && !yes ? '10M' : 'off');
    const spec = parseJob(
      {
        name: JOB,
        source: sb.jobSpec().source,
        destination: { bucket: info.oss.bucket, region: info.oss.region, endpoint: info.oss.endpoint },
        tasks: { maxObjects: 20 },
        // Small multipart settings so the 24 MiB and 12 MiB objects go multipart.
        transfer: {
          concurrency: 8,
          multipartThreshold: '8MiB',
          partSize: '4MiB',
          partConcurrency: 2,
          retries: 6,
        },
        archive: { pollSeconds: 1 },
        bandwidth: { limit: bwlimit },
      },
      'demo',
    );
    say(
      `  OSS ${info.oss.endpoint} (bucket ${info.oss.bucket}) · ${
        info.azure
          ? `Azure ${info.azure.endpoint} (container ${info.azure.container})`
          : `COS ${info.cos.endpoint} (bucket ${info.cos.bucket})`
      }`,
    );
    const mode = cutoverModeFor(spec.source);
    say(`  work dir ${ws.root}`);

    let dispatch: ((a: Action) => void) | undefined;
    const mirroredOk = (key: string) =>
      sb.oss.log.find({ op: 'MirrorFetch', key }).some((x) => x.status === 200);
    // The business uses the job's own stores (the ObjectStore port): the source until cutover, OSS after.
    const business = new Business({
      source: await sourceStore(spec, creds),
      sourceLabel: LABEL[source],
      oss: await destinationStore(spec, creds),
      cutover: mode.kind,
      changeable: [
        'images/2026/001.jpg',
        'images/2026/004.jpg',
        'logs/2026-11-10/app-1.log',
        'images/2026/007.jpg',
      ],
      readable: ['index.html', 'css/site.css', 'js/app.js', 'downloads/report-2025.pdf'],
      mirrored: mirroredOk,
      onUpdate: (stats, line) =>
        dispatch?.({ type: 'business', stats, ...(line ? { line } : {}), at: Date.now() }),
    });
    const deps: MigrationDeps = {
      job: JOB,
      workdir: ws.root,
      open: () => JobSession.submit(ws, spec, creds, makeStores, secretValues(creds)),
      reset: () => ws.removeJob(JOB),
      progressFile: new ProgressFile(ws.jobDir(JOB)),
      driver: SandboxDriver.fromJob(spec, creds),
      infraKind: 'sandbox',
      deadlineDays: 7,
      mbpsPerInstance: 100,
      progressMs: 250,
      hooks: {
        onEvent: (e) => {
          if (e.type === 'pass' && e.mode === 'copy' && e.phase === 'full') business.startSourceWrites();
        },
        beforeT2: () => business.stopSourceWrites(),
        afterT2: () => business.afterCutover(),
        finish: () => business.stop(),
        record: () => business.record(),
      },
    };
    const start: StartFlow = (io) => {
      dispatch = io.emit;
      // Show the OSS emulator's back-to-origin fetches as they happen.
      let mark = sb.oss.log.mark();
      const watch = setInterval(() => {
        for (const x of sb.oss.log.since(mark)) {
          if (x.op === 'MirrorFetch')
            io.emit({
              type: 'log',
              level: 'info',
              source: 'oss',
              at: Date.now(),
              text: `MirrorFetch ${x.key} ← ${LABEL[source]}: ${x.status}, ${x.bytesIn} bytes (back-to-origin; now stored in OSS)`,
            });
        }
        mark = sb.oss.log.mark();
      }, 200);
      return runMigration(deps, io).finally(() => clearInterval(watch));
    };
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
