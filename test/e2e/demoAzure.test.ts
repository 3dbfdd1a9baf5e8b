/**
 * The demo from a source OSS cannot mirror back-to-origin from (issue #13): `npm run demo --
 * --source azure` wiring (tui/demo/flow.ts) run headless (runPlain, as the demo does without a
 * terminal) against the sandbox with Azurite. The flow says plainly there is no mirror, cuts over
 * with a write freeze (no source write after T2; the business switches to OSS only once the final
 * incremental has copied its writes), and ends clean — every object the business wrote to Azure
 * is in OSS with Azure's bytes. Then `ossmigrate migrate` headless on a small Azure container:
 * the held cutover names the freeze, and nothing ever sets a mirror rule.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { destinationStore, sourceStore } from '../../runner/adapters/factory.ts';
import { SandboxDriver } from '../../runner/adapters/infra/sandbox.ts';
import type { ObjectStore } from '../../runner/ports/objectStore.ts';
import { type DemoFlow, demoFlow } from '../../tui/demo/flow.ts';
import { runPlain } from '../../tui/plainRun.ts';
import type { Outcome } from '../../tui/state/types.ts';
import { runCli } from '../helpers/cli.ts';
import { afterTheSecondOf } from '../helpers/clock.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { demoObjects } from '../sandbox/seed.ts';

const FREEZE = 'mirroring: not available for azure — cutover with a write freeze';

async function bytes(store: ObjectStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await store.read(key)).body as Readable) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('the demo from Azure: no mirror, a write-freeze cutover', () => {
  let sb: Sandbox;
  let dir: string;
  let flow: DemoFlow;
  let outcome: Outcome;
  const lines: string[] = [];
  const out = () => lines.join('\n');
  before(async () => {
    sb = await startSandbox({ seed: 'demo', source: 'azure', restoreDelayMs: 1500 });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-demo-azure-'));
    flow = await demoFlow(sb, { source: 'azure', workdir: join(dir, 'w'), bwlimit: 'off' });
    ({ outcome } = await runPlain(flow.start, { infra: 'sandbox', write: (l) => lines.push(l) }));
  });
  after(async () => {
    await sb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('completes: migration done, exit 0, final verify clean, the report written', async () => {
    assert.equal(outcome.status, 'done', out());
    assert.equal(outcome.exitCode, 0, out());
    assert.deepEqual(flow.business.errors, []);
    assert.match(
      out(),
      /✔ final verify: \d+ match, 1 kept \(newer in OSS\), 3 only in OSS, 0 missing, 0 different/,
    );
    assert.ok(outcome.report);
    const json = JSON.parse(await readFile(join(outcome.report, 'report.json'), 'utf8'));
    assert.equal(json.verdict.ok, true);
    assert.equal(json.verdict.problems, 0);
    assert.match(json.source, /^azure:\/\//);
    const business = JSON.parse(await readFile(join(outcome.report, 'business.json'), 'utf8'));
    assert.equal(business.source, 'Azure');
    assert.equal(business.cutover, 'freeze');
    assert.deepEqual(business.mirrorFetched, []);
    const newKeys = business.sourceWrites.filter((k: string) => !demoObjects().some((d) => d.key === k));
    assert.equal(json.verdict.sourceObjects, demoObjects().length + newKeys.length);
    const text = await readFile(join(outcome.report, 'report.txt'), 'utf8');
    assert.match(text, /wrote to Azure during the migration {3}\d+ \(\d+ new keys, \d+ changed\)/);
    assert.match(text, /no mirror: writes froze at T2/);
    assert.match(text, /teardown {2}done .*nothing to remove/);
  });

  it('says there is no mirror — up front, at phase 5 and at the cutover — and never sets or uses one', () => {
    const o = out();
    assert.ok(o.indexOf(FREEZE) < o.indexOf('[1/10] plan'), 'said before the first phase');
    assert.match(o, new RegExp(`– mirror on skipped: ${FREEZE}`));
    assert.match(o, /--yes: cutover confirmed: writes to the source stop now \(write freeze\)/);
    assert.doesNotMatch(o, /back-to-origin on|MirrorFetch|business reads and writes OSS from now on/);
    assert.equal(sb.oss.log.count({ op: 'PutBucketWebsite' }), 0, 'no mirror rule, ever');
    assert.equal(sb.oss.log.count({ op: 'MirrorFetch' }), 0);
  });

  it('freezes writes at T2, and the business switches to OSS only after the final incremental', async () => {
    const o = out();
    const t2 = /T2 = (\S+) \(cutover\)/.exec(o)?.[1];
    assert.ok(t2, o);
    const at = (s: string) => o.indexOf(s);
    assert.ok(at('[7/10] incremental') < at('write freeze over'));
    assert.ok(at('write freeze over') < at('business: OSS GET'), 'no OSS use before the freeze ends');
    assert.ok(at('business: OSS GET') < at('[8/10] final verify'));
    const rec = flow.business.record();
    const src = await sourceStore(flow.spec, flow.creds);
    for (const key of rec.sourceWrites) {
      const head = await src.head(key);
      // Azure keeps whole seconds: a write after T2 would land in a later second than T2's.
      assert.ok(head && head.lastModified.getTime() <= Date.parse(t2), `${key} written before T2`);
    }
    // Each key the business created in Azure: read through OSS only once the copy had put it there
    // (no mirror would have fetched it: a GET before the copy would have been a 404).
    for (const key of rec.sourceWrites.filter((k) => k.startsWith('uploads/2026-11/'))) {
      const gets = sb.oss.log.find({ op: 'GetObject', key });
      assert.ok(
        gets.every((g) => g.status === 200),
        `${key}: no GET found it missing`,
      );
    }
    assert.ok(sb.oss.log.find({ op: 'GetObject', key: 'uploads/2026-11/photo-001.jpg' }).length >= 1);
  });

  it("every object the business wrote to Azure during the migration is in OSS at the end, with Azure's bytes", async () => {
    const rec = flow.business.record();
    const src = await sourceStore(flow.spec, flow.creds);
    const dst = await destinationStore(flow.spec, flow.creds);
    assert.ok(rec.sourceWrites.length >= 10, `the business wrote ${rec.sourceWrites.length} objects`);
    assert.ok(rec.sourceChanged.length >= 1);
    const rewritten = rec.ossWrites.filter((k) => rec.sourceChanged.includes(k));
    assert.equal(rewritten.length, 1, 'one changed key rewritten in OSS after the switch');
    for (const key of rec.sourceWrites) {
      const [a, b] = await Promise.all([bytes(src, key), bytes(dst, key)]);
      if (rewritten.includes(key))
        assert.notDeepEqual(b, a, `${key}: the business's newer OSS write was kept`);
      else assert.deepEqual(b, a, `${key}: OSS holds Azure's bytes`);
    }
    for (const key of rec.ossWrites) assert.ok(await dst.head(key), `${key} written to OSS`);
  });

  it('the sandbox OSS does not mirror from anything with an Azure source, even a rule aimed at COS', async () => {
    const i = sb.info;
    await sb.cos.seed(i.cos.bucket, {
      key: 'cos-only.txt',
      body: 'not the origin',
      lastModified: new Date(),
    });
    await new SandboxDriver({ oss: i.oss, cos: { ...i.cos } }).setMirror(true);
    const dst = await destinationStore(flow.spec, flow.creds);
    await assert.rejects(() => dst.read('cos-only.txt'));
    const f = sb.oss.log.find({ op: 'MirrorFetch', key: 'cos-only.txt' });
    assert.equal(f.length, 1);
    assert.equal(f[0]!.code, 'MirrorFailed');
    assert.equal(sb.cos.log.count({ key: 'cos-only.txt' }), 0, 'COS never asked');
    // The driver made for the Azure job refuses outright, with the fix.
    await assert.rejects(
      () => SandboxDriver.fromJob(flow.spec, flow.creds, { withoutMirror: true }).setMirror(true),
      (e: Error) => e.message.includes(FREEZE.split(' —')[0]!) && /write freeze/.test(e.message),
    );
  });
});

describe('ossmigrate migrate --infra sandbox from Azure: the held cutover names the write freeze', () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startSandbox({ seed: 'none', source: 'azure' });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-migrate-azure-'));
    const c = sb.azure!.azurite;
    const container = await c.container(sb.azure!.container);
    for (let i = 0; i < 5; i++) {
      const body = Buffer.from(`page ${i} ${'x'.repeat(900 + i)}`);
      await container.getBlockBlobClient(`site/${i}.html`).upload(body, body.length);
    }
    await afterTheSecondOf(Date.now());
  });
  after(async () => {
    await sb?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops at the cutover (exit 6) saying to freeze writes; --confirm-cutover finishes it, exit 0', async () => {
    const work = join(dir, 'w');
    const job = join(dir, 'site.yaml');
    await writeFile(job, JSON.stringify({ name: 'site', ...sb.jobSpec() }));
    const run = (extra: string[]) =>
      runCli(['migrate', job, '--infra', 'sandbox', '--workdir', work, ...extra], {
        cwd: dir,
        env: sb.env(),
      });
    const first = await run([]);
    assert.equal(first.code, 6, first.stderr);
    assert.match(first.stderr, new RegExp(`! ${FREEZE}`));
    assert.match(first.stderr, new RegExp(`\\[5/10\\] mirror on\\n  – skipped: ${FREEZE}`));
    assert.match(
      first.stderr,
      /the cutover waits for you \(mirroring: not available for azure — cutover with a write freeze\): stop the business's writes to the source, then run this command again with --confirm-cutover demo-dst/,
    );
    const second = await run(['--confirm-cutover', 'demo-dst', '--confirm-teardown']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /write freeze from T2: no writes to the azure source/);
    assert.match(second.stderr, /write freeze over: every change up to T2 is in oss:\/\/demo-dst — switch/);
    assert.match(second.stderr, /✓ nothing to remove \(no fleet; no mirror rule/);
    assert.match(second.stderr, /^migration complete\.$/m);
    assert.equal(sb.oss.log.count({ op: 'PutBucketWebsite' }), 0);
  });
});
