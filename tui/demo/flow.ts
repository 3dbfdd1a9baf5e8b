/**
 * The demo's wiring, shared by `npm run demo` (tui/demo.ts) and its tests: the demo job against a
 * started sandbox, the simulated business on the job's own stores, and the orchestrator's deps
 * with the hooks that make the business react to the migration. Returns the flow to hand to the
 * TUI (runTui) or to the plain runner (runPlain).
 */
import { destinationStore, makeStores, sourceStore } from '../../runner/adapters/factory.ts';
import { SandboxDriver } from '../../runner/adapters/infra/sandbox.ts';
import { JobSession } from '../../runner/app/jobService.ts';
import { cutoverModeFor } from '../../runner/app/migration/cutoverMode.ts';
import { type MigrationDeps, runMigration } from '../../runner/app/migration/orchestrator.ts';
import { ProgressFile } from '../../runner/app/migration/progressFile.ts';
import { Workspace } from '../../runner/app/workspace.ts';
import { type Credentials, secretValues } from '../../runner/config/credentials.ts';
import { type JobSpec, parseJob } from '../../runner/config/job.ts';
import type { Sandbox, SandboxSource } from '../../test/sandbox/sandbox.ts';
import type { StartFlow } from '../hooks/useMigration.ts';
import type { Action } from '../state/types.ts';
import { Business } from './business.ts';

export const DEMO_JOB = 'demo';

/** How the business's lines and the report name the source. */
const LABEL: Record<SandboxSource, string> = { cos: 'COS', s3: 'S3', azure: 'Azure' };

export type DemoFlow = {
  start: StartFlow;
  business: Business;
  spec: JobSpec;
  creds: Credentials;
  /** The work dir's root. */
  workdir: string;
};

export async function demoFlow(
  sb: Sandbox,
  o: { source: SandboxSource; workdir: string; bwlimit: string; say?(line: string): void },
): Promise<DemoFlow> {
  const say = o.say ?? (() => {});
  const { source } = o;
  const info = sb.info;
  const creds: Credentials = {
    oss: { accessKeyId: info.oss.accessKeyId, accessKeySecret: info.oss.accessKeySecret },
    cos: { secretId: info.cos.secretId, secretKey: info.cos.secretKey },
    // The S3 source is the same emulator through its S3 API, with the same key.
    s3: { accessKeyId: info.cos.secretId, secretAccessKey: info.cos.secretKey },
    // Azurite's public development account.
    ...(info.azure ? { azure: { accountName: info.azure.account, accountKey: info.azure.accountKey } } : {}),
    origin: { oss: 'sandbox', cos: 'sandbox', s3: 'sandbox', azure: 'sandbox' },
  };
  const ws = new Workspace(o.workdir);
  if ((await ws.jobs()).includes(DEMO_JOB)) await ws.removeJob(DEMO_JOB);
  const spec = parseJob(
    {
      name: DEMO_JOB,
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
      bandwidth: { limit: o.bwlimit },
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
  const mode = cutoverModeFor(spec);
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
    job: DEMO_JOB,
    workdir: ws.root,
    open: () => JobSession.submit(ws, spec, creds, makeStores, secretValues(creds)),
    reset: () => ws.removeJob(DEMO_JOB),
    progressFile: new ProgressFile(ws.jobDir(DEMO_JOB)),
    driver: SandboxDriver.fromJob(spec, creds, { withoutMirror: mode.kind === 'freeze' }),
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
  return { start, business, spec, creds, workdir: ws.root };
}
