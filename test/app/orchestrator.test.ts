/**
 * The phase runner against the sandbox, in process (real SDKs, real engine): a stop at the
 * cutover keeps the job (tui.json) and the next start resumes it without copying again; no
 * infra driver skips the infra phases; a missing Pulumi CLI and a failed preflight stop with the
 * problem and the fix; "new" starts over.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeStores } from '../../runner/adapters/factory.ts';
import { INSTALL_FIX, PulumiCliDriver } from '../../runner/adapters/infra/pulumi.ts';
import { SandboxDriver } from '../../runner/adapters/infra/sandbox.ts';
import { JobSession } from '../../runner/app/jobService.ts';
import {
  autoAnswerer,
  type MigrationDeps,
  type MigrationIO,
  runMigration,
} from '../../runner/app/migration/orchestrator.ts';
import { ProgressFile } from '../../runner/app/migration/progressFile.ts';
import { Workspace } from '../../runner/app/workspace.ts';
import type { Credentials } from '../../runner/config/credentials.ts';
import { parseJob } from '../../runner/config/job.ts';
import { ExitCode } from '../../runner/core/exitCodes.ts';
import type { InfraDriver } from '../../runner/ports/infra.ts';
import { initialState, reducer } from '../../tui/state/reducer.ts';
import type { Action, Answer, Ask, TuiState } from '../../tui/state/types.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

type Env = { sb: Sandbox; dir: string; creds: Credentials };

async function setup(): Promise<Env> {
  const sb = await startSandbox();
  for (let i = 0; i < 12; i++)
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `data/${String(i).padStart(2, '0')}.bin`,
      body: patternBytes(2000 + i, i + 1),
      size: 2000 + i,
      lastModified: new Date(Date.now() - 3600_000),
    });
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-tui-runner-'));
  const i = sb.info;
  return {
    sb,
    dir,
    creds: {
      oss: { accessKeyId: i.oss.accessKeyId, accessKeySecret: i.oss.accessKeySecret },
      cos: { secretId: i.cos.secretId, secretKey: i.cos.secretKey },
      origin: {},
    },
  };
}

function deps(
  e: Env,
  o: { driver?: InfraDriver | 'none'; creds?: Credentials; workdir?: string } = {},
): MigrationDeps {
  const ws = new Workspace(join(e.dir, o.workdir ?? 'w'));
  const i = e.sb.info;
  const spec = parseJob({
    name: 'job',
    source: { type: 'cos', bucket: i.cos.bucket, region: i.cos.region, endpoint: i.cos.endpoint },
    destination: { bucket: i.oss.bucket, region: i.oss.region, endpoint: i.oss.endpoint },
    tasks: { maxObjects: 5 },
    transfer: { concurrency: 4 },
  });
  const creds = o.creds ?? e.creds;
  const driver = o.driver === 'none' ? undefined : (o.driver ?? SandboxDriver.fromJob(spec, creds));
  return {
    job: 'job',
    workdir: ws.root,
    open: () => JobSession.submit(ws, spec, creds, makeStores, []),
    reset: () => ws.removeJob('job'),
    progressFile: new ProgressFile(ws.jobDir('job')),
    ...(driver ? { driver } : {}),
    infraKind: o.driver === 'none' ? 'none' : (driver?.kind ?? 'none'),
    deadlineDays: 7,
    mbpsPerInstance: 100,
    progressMs: 100,
  };
}

/** An io that records what the reducer would show and answers with `answer` (else --yes). */
function recorder(answer: (q: Ask, stop: () => void) => Answer | undefined = () => undefined) {
  const soft = new AbortController();
  const hard = new AbortController();
  let state: TuiState = initialState();
  const actions: Action[] = [];
  const auto = autoAnswerer();
  const asked: Ask[] = [];
  const io: MigrationIO = {
    emit: (a) => {
      actions.push(a);
      state = reducer(state, a);
    },
    soft: soft.signal,
    hard: hard.signal,
    ask: async (q) => {
      asked.push(q);
      return answer(q, () => soft.abort()) ?? auto(q);
    },
  };
  return { io, actions, asked, state: () => state };
}

describe('runner: stop and resume', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(async () => {
    await e.sb.close();
    await rm(e.dir, { recursive: true, force: true });
  });

  it('quitting at the cutover keeps the job; the next start resumes there and finishes', async () => {
    const d = deps(e);
    const first = recorder((q, stop) => {
      if (q.kind === 'cutover') {
        stop();
        return 'quit';
      }
      return undefined;
    });
    const o1 = await runMigration(d, first.io);
    assert.equal(o1.status, 'stopped');
    assert.equal(o1.exitCode, ExitCode.INTERRUPTED);
    assert.equal(first.state().phases.cutover.status, 'stopped');
    const saved = JSON.parse(await readFile(d.progressFile.path, 'utf8'));
    assert.deepEqual(saved.done, ['plan', 'provision', 'full', 'verify', 'mirror']);
    assert.equal(saved.mirrorOn, true);
    assert.match(saved.t1, /^\d{4}-\d\d-\d\dT/);
    assert.equal(saved.t2, undefined);
    assert.equal(e.sb.oss.buckets.get('demo-dst')!.objects.size, 12);

    // The business writes one new object before cutover.
    await e.sb.cos.seed(e.sb.info.cos.bucket, { key: 'data/new.bin', body: 'new', lastModified: new Date() });
    // A crash right after the cutover was confirmed: T2 was saved, the phase not marked done.
    const t2 = new Date(Date.now() + 1000).toISOString();
    await writeFile(d.progressFile.path, JSON.stringify({ ...saved, t2 }));
    const mark = e.sb.oss.log.mark();
    const second = recorder();
    const o2 = await runMigration(d, second.io);
    assert.equal(o2.status, 'done', JSON.stringify(o2));
    assert.equal(o2.exitCode, 0);
    assert.deepEqual(
      second.asked.map((q) => q.kind),
      ['resume', 'teardown'],
      'the cutover is not asked twice: T2 stays',
    );
    assert.match(
      second.state().phases.cutover.detail ?? '',
      new RegExp(`T2 = ${t2.replace(/\./g, '\\.')} \\(confirmed earlier\\)`),
    );
    const resume = second.asked[0]!;
    assert.equal(resume.kind, 'resume');
    assert.deepEqual(resume.kind === 'resume' && resume.next, 'cutover');
    const started = second.actions
      .filter((a) => a.type === 'phase-start')
      .map((a) => (a as { phase: string }).phase);
    assert.deepEqual(
      started,
      ['cutover', 'incremental', 'final-verify', 'report', 'teardown'],
      'only what was left',
    );
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key);
    assert.deepEqual(puts, ['data/new.bin'], 'nothing copied twice; the new object by the incremental');
    const report = JSON.parse(await readFile(join(o2.report!, 'report.json'), 'utf8'));
    assert.equal(report.verdict.ok, true);
    assert.equal(report.verdict.sourceObjects, 13);
    assert.equal(report.verdict.verified, 13);
    assert.equal(second.state().mirrorOn, false, 'teardown removed the rule');

    // A third start finds it finished: --yes does not start it over.
    const third = recorder();
    const o3 = await runMigration(d, third.io);
    assert.equal(o3.status, 'stopped');
    assert.equal(o3.exitCode, 0);
    assert.match(o3.message ?? '', /had finished/);
    assert.equal((third.asked[0] as { complete: boolean }).complete, true);

    // "new": the job's progress is forgotten; the data stays and is skipped as identical.
    const fourth = recorder((q) => (q.kind === 'resume' ? 'new' : undefined));
    const mark2 = e.sb.oss.log.mark();
    const o4 = await runMigration(d, fourth.io);
    assert.equal(o4.status, 'done');
    assert.equal(
      e.sb.oss.log.since(mark2).filter((x) => x.op === 'PutObject' && x.status === 200).length,
      0,
      'everything was already there',
    );
    assert.equal(fourth.actions.filter((a) => a.type === 'phase-start').length, 10, 'every phase again');
  });
});

describe('runner: infrastructure and failures', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(async () => {
    await e.sb.close();
    await rm(e.dir, { recursive: true, force: true });
  });

  it('no infra driver: provision, mirror and teardown are skipped with the reason', async () => {
    const r = recorder();
    const o = await runMigration(deps(e, { driver: 'none', workdir: 'none' }), r.io);
    assert.equal(o.exitCode, 0, JSON.stringify(o));
    const s = r.state();
    assert.equal(s.phases.provision.status, 'skipped');
    assert.match(s.phases.mirror.detail ?? '', /turn on the back-to-origin rule yourself/);
    assert.equal(s.phases.teardown.status, 'skipped');
    assert.equal(s.phases['final-verify'].status, 'done');
    assert.ok(s.report?.ok);
  });

  it('Pulumi not installed: the check says so with the install fix, provisioning stops, the plan is kept', async () => {
    const driver = new PulumiCliDriver({
      stack: 'dev',
      pulumiCommand: join(e.dir, 'no-such-pulumi'),
      baseEnv: process.env,
    });
    const r = recorder();
    const d = deps(e, { driver, workdir: 'pulumi' });
    const mark = e.sb.oss.log.mark();
    const o = await runMigration(d, r.io);
    assert.equal(o.status, 'failed');
    assert.match(o.message ?? '', /the pulumi CLI is not installed or not on PATH/);
    assert.equal(
      o.fix,
      `${INSTALL_FIX} — or start with --infra none and create the bucket and the mirror rule yourself`,
    );
    const s = r.state();
    assert.equal(s.infra.check?.ok, false);
    assert.equal(s.phases.plan.status, 'done');
    assert.equal(s.phases.provision.status, 'failed');
    assert.match(s.phases.provision.error ?? '', /fix: install it: curl -fsSL https:\/\/get\.pulumi\.com/);
    const saved = JSON.parse(await readFile(d.progressFile.path, 'utf8'));
    assert.deepEqual(saved.done, ['plan']);
    assert.equal(saved.plan.survey.objects, 12);
    // The plan says whether mirroring serves the cutover (COS: signed S3V4), screen and file alike.
    assert.equal(saved.plan.mirror.mirror, 'yes');
    assert.match(saved.plan.mirror.how, /MirrorAuth S3V4/);
    assert.deepEqual(s.plan?.mirror, saved.plan.mirror);
    assert.equal(e.sb.oss.log.since(mark).filter((x) => x.op === 'PutObject').length, 0, 'nothing copied');
  });

  it('a failed preflight stops at the plan with the problem, the fix and exit code 3', async () => {
    const bad: Credentials = { ...e.creds, cos: { secretId: e.creds.cos!.secretId, secretKey: 'wrong' } };
    const r = recorder();
    const o = await runMigration(deps(e, { driver: 'none', creds: bad, workdir: 'preflight' }), r.io);
    assert.equal(o.status, 'failed');
    assert.equal(o.exitCode, ExitCode.PREFLIGHT);
    assert.match(o.message ?? '', /preflight failed: (BAD_CREDENTIALS|ACCESS_DENIED)/);
    assert.ok(o.fix);
    assert.ok(r.state().problems.some((p) => p.severity === 'error'));
    assert.equal(r.state().phases.plan.status, 'failed');
  });
});

describe('runner: a source OSS cannot mirror from (local directory) cuts over with a write freeze', () => {
  let e: Env;
  let src: string;
  before(async () => {
    e = await setup();
    src = join(e.dir, 'src');
    await mkdir(src, { recursive: true });
    const old = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 4; i++) {
      const f = join(src, `f${i}.txt`);
      await writeFile(f, `file ${i}\n`);
      await utimes(f, old, old);
    }
  });
  after(async () => {
    await e.sb.close();
    await rm(e.dir, { recursive: true, force: true });
  });

  it('skips the mirror with the reason, asks a freeze cutover, switches the business after the final incremental', async () => {
    const ws = new Workspace(join(e.dir, 'freeze'));
    const i = e.sb.info;
    const spec = parseJob({
      name: 'job',
      source: { type: 'local', path: src },
      destination: { bucket: i.oss.bucket, region: i.oss.region, endpoint: i.oss.endpoint },
      transfer: { concurrency: 2 },
    });
    const order: string[] = [];
    const r = recorder();
    const emit = r.io.emit;
    r.io.emit = (a) => {
      if (a.type === 'phase-start' || a.type === 'phase-done' || a.type === 'phase-skip')
        order.push(`${a.type} ${a.phase}`);
      if (a.type === 'window' && a.t2) order.push('T2');
      emit(a);
    };
    const o = await runMigration(
      {
        job: 'job',
        workdir: ws.root,
        open: () => JobSession.submit(ws, spec, e.creds, makeStores, []),
        reset: () => ws.removeJob('job'),
        progressFile: new ProgressFile(ws.jobDir('job')),
        driver: SandboxDriver.fromJob(spec, e.creds, { withoutMirror: true }),
        infraKind: 'sandbox',
        deadlineDays: 7,
        mbpsPerInstance: 100,
        hooks: {
          beforeT2: async () => void order.push('business stops writing'),
          afterT2: async () => void order.push('business switches to OSS'),
        },
      },
      r.io,
    );
    assert.equal(o.exitCode, 0, JSON.stringify(o));
    const line = 'mirroring: not available for local — cutover with a write freeze';
    const s = r.state();
    assert.equal(s.noMirror, line);
    assert.equal(s.phases.mirror.status, 'skipped');
    assert.equal(s.phases.mirror.detail, line);
    const cut = r.asked.find((q) => q.kind === 'cutover');
    assert.ok(cut && cut.kind === 'cutover' && cut.freeze === line);
    assert.equal(r.asked.filter((q) => q.kind === 'teardown').length, 0, 'nothing to tear down: no question');
    const at = (x: string) => order.indexOf(x);
    assert.ok(at('business stops writing') < at('T2'));
    assert.ok(at('phase-start incremental') < at('business switches to OSS'));
    assert.ok(at('business switches to OSS') < at('phase-done incremental'));
    assert.equal(order.filter((x) => x === 'business switches to OSS').length, 1);
    assert.equal(e.sb.oss.log.count({ op: 'PutBucketWebsite' }), 0);
    assert.ok(
      s.log.some((l) => /write freeze over: every change up to T2 is in oss:\/\/demo-dst/.test(l.text)),
    );
  });
});
