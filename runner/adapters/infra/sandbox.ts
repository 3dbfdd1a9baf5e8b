// InfraDriver for the sandbox (the local OSS and COS emulators, or any OSS endpoint reachable with
// the job's keys): no Pulumi, no machines to create. Everything goes through the real ali-oss SDK, as the
// business would see it:
//   provision    → the destination bucket exists (PutBucket when it does not)
//   setMirror    → PutBucketWebsite with the same back-to-origin rule the Pulumi program deploys
//                  (COS and S3 sources only: for any other it refuses, as real OSS could not fetch)
//                  (infra/mirror.ts): 404 → Mirror to https://<cos-bucket>.cos.<region>.myqcloud.com/
//                  with S3V4 MirrorAuth; the sandbox routes that host to its COS emulator
//   setFleetSize → nothing to resize: this machine's engine is the only worker, or (a job with a
//                  queue) the `ossmigrate worker` processes started by hand are the fleet; 0
//                  instances either way
//   teardown     → DeleteBucketWebsite (the mirror rule); buckets and data are never deleted

import { type MirrorOrigin, mirrorRule, s3Origin } from '../../../infra/mirror.ts';
import type { Credentials } from '../../config/credentials.ts';
import type { JobSpec } from '../../config/job.ts';
import { InfraError } from '../../core/errors.ts';
import type {
  InfraCheck,
  InfraDriver,
  InfraOutputs,
  ProvisionOptions,
  RunOptions,
} from '../../ports/infra.ts';
import { createOssClient } from '../oss/client.ts';

export type SandboxDriverOptions = {
  oss: { endpoint: string; region: string; bucket: string; accessKeyId: string; accessKeySecret: string };
  /**
   * The origin the mirror rule fetches from, and the key it signs with (S3V4). Absent for a
   * source OSS cannot mirror from (Azure, …): setMirror(true) refuses, as real OSS would fail.
   */
  cos?: { bucket: string; region: string; secretId: string; secretKey: string };
  /** The source type, for the refusal when there is no origin to mirror from. */
  sourceType?: string;
  /** An S3-compatible origin instead of the COS bucket's URL (an S3 source). */
  origin?: MirrorOrigin;
  cosPrefix?: string;
  destPrefix?: string;
  /** The job has a queue: workers started by hand (ossmigrate worker) do the copying. */
  queue?: boolean;
};

type Res = { res: { status: number } };
/** The part of ali-oss used here, typed as it behaves (see test/sandbox/oss/testkit.ts). */
interface OssClient {
  getBucketInfo(name: string): Promise<Res>;
  putBucket(name: string, opts?: Record<string, unknown>): Promise<Res>;
  putBucketWebsite(name: string, config: Record<string, unknown>): Promise<Res>;
  getBucketWebsite(name: string): Promise<Res & { routingRules: Array<Record<string, unknown>> }>;
  deleteBucketWebsite(name: string): Promise<Res>;
}

export class SandboxDriver implements InfraDriver {
  readonly kind = 'sandbox' as const;
  private readonly client: OssClient;

  constructor(readonly o: SandboxDriverOptions) {
    this.client = createOssClient({
      accessKeyId: o.oss.accessKeyId,
      accessKeySecret: o.oss.accessKeySecret,
      region: o.oss.region,
      endpoint: o.oss.endpoint,
    }) as unknown as OssClient;
  }

  /**
   * The driver for a job whose destination is an OSS endpoint (the sandbox's). A COS or S3 source
   * gets the mirror rule. Any other is refused, unless the caller cuts over without a mirror
   * (`withoutMirror`: a source OSS cannot mirror from): then the bucket only, and setMirror(true)
   * refuses.
   */
  static fromJob(spec: JobSpec, creds: Credentials, o: { withoutMirror?: boolean } = {}): SandboxDriver {
    const d = spec.destination;
    const s = spec.source;
    if (!d.endpoint)
      throw new InfraError(
        'the sandbox driver needs the destination endpoint (destination.endpoint / --dst-endpoint)',
        'point the job at the sandbox: ossmigrate sandbox prints the endpoints',
      );
    const endpoint = d.endpoint;
    const ossOf = (c: NonNullable<Credentials['oss']>) => ({
      endpoint,
      region: d.region,
      bucket: d.bucket,
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
    });
    if ((s.type !== 'cos' && s.type !== 's3') || o.withoutMirror) {
      if (!o.withoutMirror)
        throw new InfraError(
          'the sandbox driver mirrors from COS and S3 only',
          'use --infra none for other sources (and set the back-to-origin rule yourself)',
        );
      // No back-to-origin: the bucket only (the cutover freezes writes instead).
      if (!creds.oss)
        throw new InfraError(
          'the sandbox driver needs the OSS key (it creates the bucket)',
          'export ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET',
        );
      return new SandboxDriver({
        oss: ossOf(creds.oss),
        sourceType: s.type,
        destPrefix: d.prefix,
        queue: spec.queue !== undefined,
      });
    }
    // The mirror rule signs origin fetches with the source's key (S3V4).
    const key =
      s.type === 's3'
        ? creds.s3 && { secretId: creds.s3.accessKeyId, secretKey: creds.s3.secretAccessKey }
        : creds.cos;
    if (!creds.oss || !key)
      throw new InfraError(
        `the sandbox driver needs both keys: OSS (bucket, mirror rule) and ${s.type.toUpperCase()} (the rule signs origin fetches)`,
        s.type === 's3'
          ? 'export ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY'
          : 'export ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET and TENCENTCLOUD_SECRET_ID/_KEY',
      );
    // The sandbox's own origins are local: no private-address limit here (mirrorLimit is for clouds).
    const origin = s.type === 's3' ? s3Origin(s) : undefined;
    return new SandboxDriver({
      oss: ossOf(creds.oss),
      cos: {
        bucket: s.bucket,
        region: origin?.region ?? s.region ?? '',
        secretId: key.secretId,
        secretKey: key.secretKey,
      },
      ...(origin ? { origin } : {}),
      cosPrefix: s.prefix,
      destPrefix: d.prefix,
      queue: spec.queue !== undefined,
    });
  }

  get mirrorUrl(): string | undefined {
    return this.o.cos ? this.rule().redirect.mirrorUrl : undefined;
  }

  async check(): Promise<InfraCheck> {
    try {
      await this.client.getBucketInfo(this.o.oss.bucket);
      return { ok: true, detail: `OSS ${this.o.oss.endpoint}, bucket ${this.o.oss.bucket}` };
    } catch (e) {
      const err = e as { code?: string; status?: number; message?: string };
      if (err.code === 'NoSuchBucket') {
        return {
          ok: true,
          detail: `OSS ${this.o.oss.endpoint}; bucket ${this.o.oss.bucket} will be created`,
        };
      }
      return {
        ok: false,
        problem:
          `cannot reach OSS at ${this.o.oss.endpoint}: ${err.code ?? err.status ?? ''} ${firstLine(err.message)}`.trim(),
        fix: 'start the sandbox (ossmigrate sandbox) and point the job at the endpoints it prints',
      };
    }
  }

  async provision(o: ProvisionOptions = {}): Promise<InfraOutputs> {
    const say = o.onOutput ?? (() => {});
    const bucket = this.o.oss.bucket;
    try {
      await this.client.getBucketInfo(bucket);
      say(`bucket oss://${bucket} exists (${this.o.oss.endpoint})`);
    } catch (e) {
      if ((e as { code?: string }).code !== 'NoSuchBucket') throw infraError('GetBucketInfo', e);
      say(`creating bucket oss://${bucket} …`);
      await this.client.putBucket(bucket).catch((err: unknown) => {
        throw infraError('PutBucket', err);
      });
      say(`bucket oss://${bucket} created`);
    }
    if (o.fleetSize !== undefined) say(this.fleetLine(o.fleetSize));
    if (o.mirror !== undefined && o.mirror !== (await this.mirrorEnabled()))
      return this.setMirror(o.mirror, o);
    return this.outputs();
  }

  async setMirror(enabled: boolean, o: RunOptions = {}): Promise<InfraOutputs> {
    const say = o.onOutput ?? (() => {});
    const bucket = this.o.oss.bucket;
    if (enabled) {
      if (!this.o.cos)
        throw new InfraError(
          `mirroring: not available for ${this.o.sourceType ?? 'this source'} — OSS back-to-origin cannot fetch from it`,
          'cut over with a write freeze: stop writes, run the last incremental pass, then switch',
        );
      const r = this.rule();
      say(
        `PutBucketWebsite oss://${bucket}: rule ${r.ruleNumber}: on 404${
          r.condition.keyPrefixEquals ? ` under ${r.condition.keyPrefixEquals}` : ''
        } → Mirror ${r.redirect.mirrorUrl} (S3V4 as ${mask(this.o.cos.secretId)}, ${this.o.cos.region})`,
      );
      await this.client
        .putBucketWebsite(bucket, { index: 'index.html', routingRules: [this.xmlRule()] })
        .catch((err: unknown) => {
          throw infraError('PutBucketWebsite', err);
        });
      say('mirror rule on: a GET for a key OSS lacks is fetched from COS, stored in OSS and served');
    } else {
      say(`DeleteBucketWebsite oss://${bucket}: removing the mirror rule`);
      await this.client.deleteBucketWebsite(bucket).catch((err: unknown) => {
        throw infraError('DeleteBucketWebsite', err);
      });
      say('mirror rule off');
    }
    return this.outputs();
  }

  async setFleetSize(n: number, o: RunOptions = {}): Promise<InfraOutputs> {
    if (!Number.isInteger(n) || n < 0)
      throw new InfraError(`fleet size must be a whole number ≥ 0 (got ${n})`);
    o.onOutput?.(this.fleetLine(n));
    return this.outputs();
  }

  async outputs(): Promise<InfraOutputs> {
    return {
      region: this.o.oss.region.replace(/^oss-/, ''),
      bucket: this.o.oss.bucket,
      ossEndpoint: this.o.oss.endpoint,
      fleetSize: 0,
      instanceIds: [],
      sizing: this.o.queue
        ? 'sandbox: the workers on the queue (ossmigrate worker, started by hand) do the copying'
        : 'sandbox: no fleet — the engine in this process does the copying',
      mirrorEnabled: await this.mirrorEnabled(),
    };
  }

  async teardown(o: RunOptions = {}): Promise<void> {
    const say = o.onOutput ?? (() => {});
    say(
      this.o.queue
        ? 'sandbox: no machines to remove (the workers on the queue were started by hand; stop them with SIGTERM)'
        : 'sandbox: no fleet to remove (the engine in this process was the only worker)',
    );
    if (await this.mirrorEnabled()) await this.setMirror(false, o);
    else say('no mirror rule to remove');
    say(
      `bucket oss://${this.o.oss.bucket} and its data are kept (teardown never deletes buckets or objects)`,
    );
  }

  private fleetLine(n: number): string {
    const asked = n > 0 ? ` (the plan asked for ${n})` : '';
    return this.o.queue
      ? `sandbox: no machines to size — the workers on the queue (ossmigrate worker) are the fleet${asked}`
      : `sandbox: no fleet to size — the engine in this process is the only worker${asked}`;
  }

  private async mirrorEnabled(): Promise<boolean> {
    try {
      const w = await this.client.getBucketWebsite(this.o.oss.bucket);
      return w.routingRules.some(
        (r) => (r.Redirect as Record<string, unknown> | undefined)?.RedirectType === 'Mirror',
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'NoSuchWebsiteConfiguration') return false;
      throw infraError('GetBucketWebsite', e);
    }
  }

  private rule() {
    const cos = this.o.cos;
    if (!cos) throw new InfraError(`no mirror origin for ${this.o.sourceType ?? 'this source'}`);
    return mirrorRule({
      cosBucket: cos.bucket,
      cosRegion: cos.region,
      ...(this.o.origin ? { origin: this.o.origin } : {}),
      cosPrefix: this.o.cosPrefix ?? '',
      destPrefix: this.o.destPrefix ?? '',
      accessKeyId: cos.secretId,
      accessKeySecret: cos.secretKey,
    });
  }

  /** infra/mirror.ts's rule in the XML shape PutBucketWebsite takes. */
  private xmlRule(): Record<string, unknown> {
    const r = this.rule();
    const x = r.redirect;
    return {
      RuleNumber: r.ruleNumber,
      Condition: {
        HttpErrorCodeReturnedEquals: 404,
        ...(r.condition.keyPrefixEquals ? { KeyPrefixEquals: r.condition.keyPrefixEquals } : {}),
      },
      Redirect: {
        RedirectType: 'Mirror',
        MirrorURL: x.mirrorUrl,
        MirrorPassQueryString: String(x.mirrorPassQueryString),
        MirrorFollowRedirect: String(x.mirrorFollowRedirect),
        MirrorAllowHeadObject: String(x.mirrorAllowHeadObject),
        ...(x.enableReplacePrefix
          ? { EnableReplacePrefix: 'true', ReplaceKeyPrefixWith: x.replaceKeyPrefixWith ?? '' }
          : {}),
        MirrorAuth: {
          AuthType: 'S3V4',
          AccessKeyId: x.mirrorAuth.accessKeyId,
          AccessKeySecret: x.mirrorAuth.accessKeySecret,
          Region: x.mirrorAuth.region,
        },
      },
    };
  }
}

function mask(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '****';
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n')[0] ?? '';
}

function infraError(op: string, e: unknown): InfraError {
  const err = e as { code?: string; status?: number; message?: string };
  return new InfraError(
    `${op} failed: ${err.code ?? err.status ?? 'error'}: ${firstLine(err.message)}`,
    err.status === 403 ? 'check that the OSS key may manage the bucket (oss:PutBucketWebsite …)' : undefined,
  );
}
