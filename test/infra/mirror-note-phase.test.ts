// Phase 5 with a source OSS cannot mirror from (the stack's mirrorNote: Azure, a private S3
// endpoint): the orchestrator skips the phase with the stack's explanation instead of failing
// with "the mirror rule is not on", and the migration goes on to the cutover and finishes.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { makeStores } from '../../runner/adapters/factory.ts';
import { parseInfraOutputs } from '../../runner/adapters/infra/outputs.ts';
import { SandboxDriver } from '../../runner/adapters/infra/sandbox.ts';
import { JobSession } from '../../runner/app/jobService.ts';
import { autoAnswerer, runMigration } from '../../runner/app/migration/orchestrator.ts';
import { ProgressFile } from '../../runner/app/migration/progressFile.ts';
import type { MigrationEvent } from '../../runner/app/migration/types.ts';
import { Workspace } from '../../runner/app/workspace.ts';
import type { Credentials } from '../../runner/config/credentials.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { InfraDriver } from '../../runner/ports/infra.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const NOTE = 'No mirror rule: OSS back-to-origin signs its fetches with S3V4 only (test)';

let sb: Sandbox;
let dir: string;
before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-mirror-note-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

it('reads mirrorNote from the stack outputs; an empty one is no note', () => {
  const base = { region: 'r', bucket: 'b', ossEndpoint: 'e', fleetSize: 0, mirrorEnabled: false };
  assert.equal(parseInfraOutputs({ ...base, mirrorNote: NOTE }).mirrorNote, NOTE);
  assert.equal('mirrorNote' in parseInfraOutputs({ ...base, mirrorNote: '' }), false);
  assert.equal('mirrorNote' in parseInfraOutputs(base), false);
});

it('skips the mirror phase with the stack’s note and finishes the migration', async () => {
  const i = sb.info;
  for (let n = 0; n < 3; n++)
    await sb.cos.seed(i.cos.bucket, {
      key: `data/${n}.bin`,
      body: patternBytes(1000 + n, n + 1),
      size: 1000 + n,
      lastModified: new Date(Date.now() - 3600_000),
    });
  const spec = parseJob({
    name: 'job',
    source: { type: 'cos', bucket: i.cos.bucket, region: i.cos.region, endpoint: i.cos.endpoint },
    destination: { bucket: i.oss.bucket, region: i.oss.region, endpoint: i.oss.endpoint },
    transfer: { concurrency: 4 },
  });
  const creds: Credentials = {
    oss: { accessKeyId: i.oss.accessKeyId, accessKeySecret: i.oss.accessKeySecret },
    cos: { secretId: i.cos.secretId, secretKey: i.cos.secretKey },
    origin: {},
  };
  const sandbox = SandboxDriver.fromJob(spec, creds);
  // A stack whose source cannot be mirrored: setMirror(true) leaves the rule off and says why.
  let mirrorCalls = 0;
  const driver: InfraDriver = {
    kind: 'pulumi',
    check: () => sandbox.check(),
    provision: (o) => sandbox.provision({ ...o, mirror: false }),
    setMirror: async (enabled, o) => {
      mirrorCalls++;
      const out = await sandbox.setMirror(false, o);
      return enabled ? { ...out, mirrorEnabled: false, mirrorNote: NOTE } : out;
    },
    setFleetSize: (n, o) => sandbox.setFleetSize(n, o),
    outputs: () => sandbox.outputs(),
    teardown: (o) => sandbox.teardown(o),
  };
  const ws = new Workspace(join(dir, 'w'));
  const events: MigrationEvent[] = [];
  const soft = new AbortController();
  const answer = autoAnswerer();
  const outcome = await runMigration(
    {
      job: 'job',
      workdir: ws.root,
      open: () => JobSession.submit(ws, spec, creds, makeStores, []),
      reset: () => ws.removeJob('job'),
      progressFile: new ProgressFile(ws.jobDir('job')),
      driver,
      infraKind: 'pulumi',
      deadlineDays: 7,
      mbpsPerInstance: 100,
      progressMs: 100,
    },
    {
      emit: (e) => void events.push(e),
      soft: soft.signal,
      hard: new AbortController().signal,
      ask: async (q) => answer(q),
    },
  );
  assert.equal(outcome.exitCode, 0, JSON.stringify(outcome));
  assert.equal(mirrorCalls >= 1, true);
  const skip = events.find((e) => e.type === 'phase-skip' && e.phase === 'mirror');
  assert.deepEqual(skip && 'reason' in skip ? skip.reason : undefined, NOTE);
  assert.ok(
    events.some((e) => e.type === 'phase-done' && e.phase === 'cutover'),
    'the cutover still runs',
  );
});
