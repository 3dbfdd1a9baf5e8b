/**
 * AWS S3 and S3-compatible stores (Qiniu, BOS, KS3, OBS, MinIO, R2, …) through @aws-sdk/client-s3,
 * as a migration source. The data path stays lean: one client per store over keep-alive agents,
 * GET bodies handed on as the Node stream the SDK received (never buffered), and the SDK's own
 * checksumming off (WHEN_REQUIRED) — the engine checks the bytes it reads against the evidence
 * head() collects: the ETag, x-amz-checksum-* (asked for with checksum mode) and, for a multipart
 * ETag, the part layout from HEAD ?partNumber=1.
 */

import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  type StorageClass as S3StorageClass,
  type Tier,
} from '@aws-sdk/client-s3';
import type { S3Credentials } from '../../config/credentials.ts';
import { resolveS3, type S3Preset, type S3Provider } from '../../config/s3Providers.ts';
import { classifyHttp, isNetworkCode, MigrationError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ChecksumAlgorithm, ListEntry, ObjectHead, ObjectInfo, StorageClass } from '../../core/types.ts';
import type {
  ObjectStore,
  ProbeResult,
  ReadOptions,
  ReadResult,
  StoreFeatures,
  WriteBody,
  WriteOptions,
  WriteResult,
} from '../../ports/objectStore.ts';
import { pageKeys } from '../../ports/objectStore.ts';
import { listDate, parseRestore, retryAfterMs, stripEtag } from '../http/headers.ts';

export type S3StoreOptions = {
  bucket: string;
  provider: S3Provider;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials: S3Credentials;
  /** Where the credentials came from, for messages (never the values). */
  credentialsOrigin?: string;
};

/**
 * Vendor classes → ours. GLACIER_IR is read without a restore (milliseconds, like OSS IA), so it is
 * IA; GLACIER (Flexible Retrieval) needs a restore of minutes to hours → ARCHIVE; DEEP_ARCHIVE
 * (12-48 h) → DEEP_COLD_ARCHIVE, as COS DEEP_ARCHIVE. Qiniu LINE and BOS COLD are directly
 * readable infrequent-access classes. Unknown classes read as STANDARD (no restore attempted).
 */
const CLASS_FROM_S3: Record<string, StorageClass> = {
  STANDARD: 'STANDARD',
  REDUCED_REDUNDANCY: 'STANDARD',
  EXPRESS_ONEZONE: 'STANDARD',
  OUTPOSTS: 'STANDARD',
  SNOW: 'STANDARD',
  STANDARD_IA: 'IA',
  ONEZONE_IA: 'IA',
  GLACIER_IR: 'IA',
  LINE: 'IA',
  COLD: 'IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  GLACIER: 'ARCHIVE',
  ARCHIVE: 'ARCHIVE',
  DEEP_ARCHIVE: 'DEEP_COLD_ARCHIVE',
};
export function storageClassFromS3(c: string | undefined): StorageClass {
  return (c && CLASS_FROM_S3[c.toUpperCase()]) || 'STANDARD';
}
const CLASS_TO_S3: Record<StorageClass, S3StorageClass> = {
  STANDARD: 'STANDARD',
  IA: 'STANDARD_IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  ARCHIVE: 'GLACIER',
  COLD_ARCHIVE: 'GLACIER',
  DEEP_COLD_ARCHIVE: 'DEEP_ARCHIVE',
};

/** SDK output member → our algorithm name (full-object checksums only, see checksumsOf). */
const CHECKSUM_MEMBERS = [
  ['ChecksumCRC32', 'crc32'],
  ['ChecksumCRC32C', 'crc32c'],
  ['ChecksumCRC64NVME', 'crc64nvme'],
  ['ChecksumSHA1', 'sha1'],
  ['ChecksumSHA256', 'sha256'],
] as const satisfies readonly (readonly [string, ChecksumAlgorithm])[];

/** The environment variables and files a user fixes S3 credentials in. */
export const S3_CREDENTIALS_FIX =
  'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for a temporary key), the AWS_PROFILE in ~/.aws/credentials, or s3: {accessKeyId, secretAccessKey} in ~/.ossmigrate/credentials.yaml';

type SdkError = Error & {
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string> };
  Code?: string;
  code?: string;
};

/** url-encoded listing fields (encoding-type=url encodes spaces as "+"). */
function decodeKey(k: string | undefined): string {
  if (k === undefined) return '';
  try {
    return decodeURIComponent(k.replace(/\+/g, '%20'));
  } catch {
    return k;
  }
}

export class S3Store implements ObjectStore {
  readonly features: StoreFeatures = {
    crc64: false,
    multipart: false,
    minPartSize: 5 * 1024 ** 2,
    maxPartSize: 5 * 1024 ** 3,
    maxParts: 10_000,
    maxPutSize: 5 * 1024 ** 3,
    archive: true,
    forbidOverwrite: false,
  };
  readonly name: string;
  readonly client: S3Client;
  readonly endpoint: string;
  readonly region: string;
  readonly preset: S3Preset;

  constructor(readonly o: S3StoreOptions) {
    const r = resolveS3(o);
    this.endpoint = r.endpoint;
    this.region = r.region;
    this.preset = r.preset;
    this.name = `s3://${o.bucket}`;
    this.client = new S3Client({
      region: r.region,
      endpoint: r.endpoint,
      forcePathStyle: r.pathStyle,
      credentials: {
        accessKeyId: o.credentials.accessKeyId,
        secretAccessKey: o.credentials.secretAccessKey,
        ...(o.credentials.sessionToken ? { sessionToken: o.credentials.sessionToken } : {}),
      },
      // We verify what we read ourselves; the SDK must not hash bodies behind our back.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The engine retries (with its own backoff and accounting); the SDK tries once.
      maxAttempts: 1,
      requestHandler: {
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
        // A GET body streams for as long as the copy takes; a stalled socket is caught by this.
        requestTimeout: 0,
        connectionTimeout: 30_000,
      },
    });
  }

  private error(e: unknown, what: string): MigrationError {
    const err = e as SdkError;
    const status = err.$metadata?.httpStatusCode;
    const headers = err.$response?.headers ?? {};
    const rawCode = err.Code ?? err.name;
    const code = rawCode && rawCode !== 'Error' && rawCode !== 'UnknownError' ? rawCode : undefined;
    const requestId = err.$metadata?.requestId ?? headers['x-amz-request-id'];
    const extra = {
      ...(status ? { status } : {}),
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
      ...(retryAfterMs(headers) !== undefined ? { retryAfterMs: retryAfterMs(headers) } : {}),
      cause: e,
    };
    if (!status || isNetworkCode(err.code)) {
      const c = err.code ?? code ?? '';
      return new MigrationError(
        'NETWORK',
        `${what}: cannot reach ${this.endpoint} (${c ? `${c} ` : ''}${err.message})`,
        { ...extra, ...(err.code ? { code: err.code } : {}) },
      );
    }
    // The bucket answered from another region (AWS says which): preflight's WRONG_REGION.
    const bucketRegion = headers['x-amz-bucket-region'];
    if (bucketRegion && bucketRegion !== this.region && (status === 301 || status === 400 || status === 403))
      return new MigrationError(
        'ACCESS_DENIED',
        `${what}: bucket ${this.o.bucket} is in ${bucketRegion}, not ${this.region}`,
        { ...extra, code: `WrongRegion:${bucketRegion}` },
      );
    if (code === 'NoSuchBucket')
      return new MigrationError(
        'ACCESS_DENIED',
        `${what}: bucket ${this.o.bucket} does not exist at ${this.endpoint}`,
        extra,
      );
    const cls = code === 'NotFound' ? 'SOURCE_GONE' : classifyHttp(status, code);
    const auth = code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'AccessDenied';
    const from = this.o.credentialsOrigin ? ` (credentials from ${this.o.credentialsOrigin})` : '';
    return new MigrationError(
      cls,
      `${what}: ${code ?? `HTTP ${status}`} ${err.message && err.message !== code ? err.message : ''}`.trim() +
        (auth ? `${from}; ${S3_CREDENTIALS_FIX}` : ''),
      extra,
    );
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
    pageSize?: number;
  }): AsyncIterable<ListEntry> {
    const encode = this.preset.urlEncodeListing;
    const v2 = this.preset.listVersion === 2;
    let token: string | undefined;
    let marker = o.startAfter;
    for (let first = true; ; first = false) {
      if (o.signal?.aborted) return;
      const base = {
        Bucket: this.o.bucket,
        MaxKeys: pageKeys(o.pageSize, first),
        ...(o.prefix ? { Prefix: o.prefix } : {}),
        ...(o.delimiter ? { Delimiter: o.delimiter } : {}),
        ...(encode ? { EncodingType: 'url' as const } : {}),
      };
      const what = `list ${this.name}/${o.prefix}`;
      let page: {
        Contents?: {
          Key?: string;
          Size?: number;
          LastModified?: Date;
          ETag?: string;
          StorageClass?: string;
        }[];
        CommonPrefixes?: { Prefix?: string }[];
        IsTruncated?: boolean;
        EncodingType?: string;
      };
      let next: string | undefined;
      try {
        if (v2) {
          const r = await this.client.send(
            new ListObjectsV2Command({
              ...base,
              ...(token ? { ContinuationToken: token } : marker ? { StartAfter: marker } : {}),
            }),
            o.signal ? { abortSignal: o.signal } : {},
          );
          page = r;
          next = r.NextContinuationToken;
        } else {
          const r = await this.client.send(
            new ListObjectsCommand({ ...base, ...(marker ? { Marker: marker } : {}) }),
            o.signal ? { abortSignal: o.signal } : {},
          );
          page = r;
          next = r.NextMarker;
        }
      } catch (e) {
        throw this.error(e, what);
      }
      // Decode only what the service says it encoded (some ignore encoding-type).
      const dec = page.EncodingType === 'url' ? decodeKey : (k: string | undefined) => k ?? '';
      const entries: ListEntry[] = [];
      for (const c of page.Contents ?? []) {
        const info: ObjectInfo = {
          key: dec(c.Key),
          size: Number(c.Size ?? 0),
          lastModified: listDate(c.LastModified),
          etag: stripEtag(c.ETag),
          storageClass: storageClassFromS3(c.StorageClass),
        };
        entries.push({ kind: 'object', info });
      }
      for (const p of page.CommonPrefixes ?? []) entries.push({ kind: 'prefix', prefix: dec(p.Prefix) });
      entries.sort((a, b) =>
        compareKeys(a.kind === 'object' ? a.info.key : a.prefix, b.kind === 'object' ? b.info.key : b.prefix),
      );
      yield* entries;
      if (!page.IsTruncated) return;
      const last = entries[entries.length - 1];
      if (v2) {
        if (!next) return;
        token = next;
      } else {
        // V1 gives NextMarker only with a delimiter; otherwise the last key is the marker.
        marker = next ? dec(next) : last ? (last.kind === 'object' ? last.info.key : last.prefix) : undefined;
        if (!marker) return;
      }
    }
  }

  private headOf(key: string, r: HeadObjectCommandOutput | GetObjectCommandOutput): ObjectHead {
    const head: ObjectHead = {
      key,
      size: Number(r.ContentLength ?? 0),
      lastModified: listDate(r.LastModified),
      etag: stripEtag(r.ETag),
      storageClass: storageClassFromS3(r.StorageClass),
      meta: { ...(r.Metadata ?? {}) },
    };
    const checksums = checksumsOf(r);
    if (checksums) head.checksums = checksums;
    const restore = parseRestore(r.Restore);
    if (restore) head.restore = restore;
    if (r.ContentType) head.contentType = r.ContentType;
    if (r.ContentEncoding) head.contentEncoding = r.ContentEncoding;
    if (r.ContentDisposition) head.contentDisposition = r.ContentDisposition;
    if (r.ContentLanguage) head.contentLanguage = r.ContentLanguage;
    if (r.CacheControl) head.cacheControl = r.CacheControl;
    const expires = (r as { ExpiresString?: string }).ExpiresString;
    if (expires) head.expires = expires;
    return head;
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    const opts = signal ? { abortSignal: signal } : {};
    let r: HeadObjectCommandOutput;
    try {
      r = await this.client.send(
        new HeadObjectCommand({ Bucket: this.o.bucket, Key: key, ChecksumMode: 'ENABLED' }),
        opts,
      );
    } catch (e) {
      const err = this.error(e, `head ${key}`);
      if (err.status === 404) return undefined;
      throw err;
    }
    const head = this.headOf(key, r);
    // A multipart ETag (md5-of-part-md5s-N): part 1's size gives the layout to recompute it from
    // the bytes. Servers that ignore partNumber answer with the whole object and no parts count.
    const n = /-(\d+)$/.exec(head.etag ?? '');
    if (n && this.preset.multipartEtag) {
      try {
        const p = await this.client.send(
          new HeadObjectCommand({
            Bucket: this.o.bucket,
            Key: key,
            PartNumber: 1,
            IfMatch: `"${head.etag}"`,
          }),
          opts,
        );
        if (p.PartsCount && p.PartsCount === Number(n[1]) && p.ContentLength !== undefined)
          head.parts = { count: p.PartsCount, size: Number(p.ContentLength) };
      } catch (e) {
        const err = this.error(e, `head ${key}?partNumber=1`);
        // Changed or deleted between the two HEADs: the next attempt sees the new version.
        if (err.failureClass === 'NETWORK' || err.failureClass === 'THROTTLED') throw err;
      }
    }
    return head;
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const cmd = new GetObjectCommand({
      Bucket: this.o.bucket,
      Key: key,
      ...(o.range ? { Range: `bytes=${o.range.start}-${o.range.end - 1}` } : {}),
      ...(o.ifMatch ? { IfMatch: `"${o.ifMatch}"` } : {}),
    });
    if (!o.range) {
      // Checksum mode as a plain header: the service reports x-amz-checksum-* on a whole-object
      // GET, and the SDK (which validates only when the ChecksumMode member is set) does not hash.
      cmd.middlewareStack.add(
        (next) => async (args) => {
          const req = args.request as { headers?: Record<string, string> };
          if (req.headers) req.headers['x-amz-checksum-mode'] = 'ENABLED';
          return next(args);
        },
        { step: 'build', name: 'ossmigrateChecksumMode' },
      );
    }
    let r: GetObjectCommandOutput;
    try {
      r = await this.client.send(cmd, o.signal ? { abortSignal: o.signal } : {});
    } catch (e) {
      throw this.error(e, `get ${key}`);
    }
    const head = this.headOf(key, r);
    const total = /\/(\d+)$/.exec(r.ContentRange ?? '');
    if (total) head.size = Number(total[1]);
    return { body: r.Body as Readable, head };
  }

  async write(key: string, body: WriteBody, o: WriteOptions): Promise<WriteResult> {
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key: key,
          Body: body,
          ContentLength: o.size,
          Metadata: o.meta,
          ...(o.contentType ? { ContentType: o.contentType } : {}),
          ...(o.contentEncoding ? { ContentEncoding: o.contentEncoding } : {}),
          ...(o.contentDisposition ? { ContentDisposition: o.contentDisposition } : {}),
          ...(o.contentLanguage ? { ContentLanguage: o.contentLanguage } : {}),
          ...(o.cacheControl ? { CacheControl: o.cacheControl } : {}),
          ...(o.contentMd5 ? { ContentMD5: o.contentMd5 } : {}),
          ...(o.storageClass ? { StorageClass: CLASS_TO_S3[o.storageClass] } : {}),
        }),
        o.signal ? { abortSignal: o.signal } : {},
      );
      return { etag: stripEtag(r.ETag) };
    } catch (e) {
      throw this.error(e, `put ${key}`);
    }
  }

  async restore(
    key: string,
    o: { days: number; tier: string },
  ): Promise<'started' | 'in-progress' | 'restored'> {
    try {
      const r = await this.client.send(
        new RestoreObjectCommand({
          Bucket: this.o.bucket,
          Key: key,
          RestoreRequest: { Days: o.days, GlacierJobParameters: { Tier: o.tier as Tier } },
        }),
      );
      // 200: a restored copy is already readable; 202: the restore started.
      return r.$metadata.httpStatusCode === 200 ? 'restored' : 'started';
    } catch (e) {
      const err = this.error(e, `restore ${key}`);
      if (err.code === 'RestoreAlreadyInProgress' || err.status === 409) return 'in-progress';
      throw err;
    }
  }

  async probe(): Promise<ProbeResult> {
    const what = `bucket ${this.o.bucket} at ${this.endpoint}`;
    let date: string | undefined;
    // A one-key listing, not only HEAD: its error body tells a wrong secret from a denied request,
    // and it proves the list permission the scan needs.
    const input = { Bucket: this.o.bucket, MaxKeys: 1 };
    const cmd =
      this.preset.listVersion === 2 ? new ListObjectsV2Command(input) : new ListObjectsCommand(input);
    const capture = (next: (a: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const out = await next(args);
      date = (out.response as { headers?: Record<string, string> }).headers?.date;
      return out;
    };
    (cmd.middlewareStack as { add(m: unknown, o: object): void }).add(capture, {
      step: 'deserialize',
      name: 'ossmigrateDate',
    });
    try {
      await this.client.send(cmd as ListObjectsV2Command);
    } catch (e) {
      throw this.error(e, what);
    }
    let region = this.region;
    if (this.o.provider === 'aws') {
      try {
        const h = await this.client.send(new HeadBucketCommand({ Bucket: this.o.bucket }));
        if (h.BucketRegion) region = h.BucketRegion;
      } catch (e) {
        throw this.error(e, what);
      }
    }
    const at = date ? Date.parse(date) : Number.NaN;
    return {
      reachable: true,
      region,
      ...(Number.isNaN(at) ? {} : { clockSkewMs: at - Date.now() }),
    };
  }
}

/**
 * Full-object checksums the service reported (checksum mode). A COMPOSITE checksum (`…-N`, a
 * checksum of part checksums) cannot be compared with the bytes without the part boundaries of
 * every part, so it is left out.
 */
function checksumsOf(
  r: HeadObjectCommandOutput | GetObjectCommandOutput,
): Partial<Record<ChecksumAlgorithm, string>> | undefined {
  if (r.ChecksumType === 'COMPOSITE') return undefined;
  let out: Partial<Record<ChecksumAlgorithm, string>> | undefined;
  for (const [member, alg] of CHECKSUM_MEMBERS) {
    const v = r[member];
    if (typeof v === 'string' && v && !/-\d+$/.test(v)) (out ??= {})[alg] = v;
  }
  return out;
}
