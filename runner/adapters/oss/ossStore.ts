/**
 * Alibaba Cloud OSS. The data path (GET, HEAD, PUT, UploadPart), listing pages and the bucket probe
 * are built and signed as ali-oss 6.x builds them (ossRequest.ts: V1 or V4, STS token) and sent with
 * undici: ali-oss's request stack (urllib: url.parse, dateformat, agentkeepalive, a Transform per
 * body, xml2js) costs more CPU than the copy of a 4 KiB object itself, and loading it ~90 CPU-ms of
 * every job's start (issue #16). Multipart init/complete/abort/list and restore go through the SDK,
 * loaded on first use.
 * Traps handled here (see shared/specs/protocols.md):
 *  - ali-oss strips leading "/" from keys silently: such keys never reach it (the engine refuses them);
 *  - it never retries HTTP errors (the engine retries, honouring Retry-After, which this adapter
 *    recovers from the response since ali-oss errors do not carry headers);
 *  - streaming GET errors have no code, only a status: classify by status;
 *  - the request timeout covers the whole body: size it from the body length.
 */

import type { Readable } from 'node:stream';
import type OSS from 'ali-oss';
import type { OssCredentials } from '../../config/credentials.ts';
import { classifyHttp, isNetworkCode, MigrationError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ListEntry, ObjectHead, StorageClass } from '../../core/types.ts';
import type {
  ObjectStore,
  PartResult,
  ProbeResult,
  ReadOptions,
  ReadResult,
  StoreFeatures,
  WriteBody,
  WriteOptions,
  WriteResult,
} from '../../ports/objectStore.ts';
import { pageKeys } from '../../ports/objectStore.ts';
import {
  headersToHead,
  listDate,
  metadataHeaders,
  parseRestore,
  retryAfterMs,
  stripEtag,
} from '../http/headers.ts';
import { type HttpResponse, HttpTransport } from '../http/transport.ts';
import { xmlChild, xmlElements } from '../http/xml.ts';
import { OssRequestBuilder } from './ossRequest.ts';

// Not `import … from 'node:http'`: an ESM import of it builds the module's ESM facade, whose
// getters load Node's internal undici (~45 CPU-ms of every start, for one status table).
const { STATUS_CODES } = process.getBuiltinModule('node:http');

export type OssStoreOptions = {
  bucket: string;
  /** cn-hangzhou (bare) or oss-cn-hangzhou. */
  region: string;
  credentials: OssCredentials;
  /** Override, e.g. http://127.0.0.1:PORT for the sandbox. */
  endpoint?: string;
  internal?: boolean;
  signatureV4?: boolean;
};

const CLASS_FROM_OSS: Record<string, StorageClass> = {
  Standard: 'STANDARD',
  IA: 'IA',
  Archive: 'ARCHIVE',
  ColdArchive: 'COLD_ARCHIVE',
  DeepColdArchive: 'DEEP_COLD_ARCHIVE',
};
const CLASS_TO_OSS: Record<StorageClass, string> = {
  STANDARD: 'Standard',
  IA: 'IA',
  INTELLIGENT_TIERING: 'Standard',
  ARCHIVE: 'Archive',
  COLD_ARCHIVE: 'ColdArchive',
  DEEP_COLD_ARCHIVE: 'DeepColdArchive',
};

type OssError = Error & {
  status?: number;
  code?: string;
  name?: string;
  requestId?: string;
  headers?: Record<string, string>;
  endpoint?: string;
};

/** A MigrationError from whatever ali-oss threw. */
export function ossError(e: unknown, what: string): MigrationError {
  const err = e as OssError;
  const status = typeof err.status === 'number' && err.status > 0 ? err.status : undefined;
  const code = err.code && err.code !== 'UnknownError' ? err.code : undefined;
  const extra = {
    ...(status ? { status } : {}),
    ...(code ? { code } : {}),
    ...(err.requestId ? { requestId: err.requestId } : {}),
    ...(err.headers ? { retryAfterMs: retryAfterMs(err.headers) } : {}),
    cause: e,
  };
  if (
    !status &&
    (isNetworkCode(err.code) || isNetworkCode(err.name) || err.status === -1 || err.status === -2)
  ) {
    return new MigrationError('NETWORK', `${what}: ${networkMessage(err.message)}`, extra);
  }
  if (status === 403 && /must be addressed using the specified endpoint/i.test(err.message)) {
    const region = /oss-([a-z]{2}-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com/.exec(err.endpoint ?? '')?.[1];
    return new MigrationError(
      'ACCESS_DENIED',
      `${what}: the bucket is in ${region ?? 'another region'}${err.endpoint ? ` (endpoint ${err.endpoint})` : ''}, not the one addressed`,
      { ...extra, code: region ? `WrongRegion:${region}` : 'WrongRegion' },
    );
  }
  return new MigrationError(
    classifyHttp(status, code),
    `${what}: ${code ?? `HTTP ${status ?? '?'}`} ${err.message}`,
    extra,
  );
}

/**
 * urllib (under ali-oss) appends the request line, its socket agent's state and the headers to a
 * network error's message: "connect ECONNREFUSED 127.0.0.1:2, GET http://… -1 (connected: false,
 * keepalive socket: false, agent status: {…})\nheaders: {}". The first clause is the news.
 */
export function networkMessage(message: string): string {
  return message.split(/, (?:GET|HEAD|PUT|POST|DELETE) \S+ -?\d+ \(connected:|\nheaders:/)[0]!.trim();
}

/** Whole-request timeout for a body of `size` bytes: never below 2 min, ≥ 64 KiB/s. */
function timeoutFor(size: number): number {
  return Math.max(120_000, Math.ceil(size / 65_536) * 1000);
}

export class OssStore implements ObjectStore {
  readonly features: StoreFeatures = {
    crc64: true,
    multipart: true,
    minPartSize: 100 * 1024,
    maxPartSize: 5 * 1024 ** 3,
    maxParts: 10_000,
    maxPutSize: 5 * 1024 ** 3,
    archive: true,
    forbidOverwrite: true,
  };
  readonly name: string;
  private sdk?: Promise<OSS>;
  private readonly region: string;
  private readonly requests: OssRequestBuilder;
  private readonly http: HttpTransport;

  constructor(readonly o: OssStoreOptions) {
    this.region = o.region.replace(/^oss-/, '');
    this.name = `oss://${o.bucket}`;
    this.requests = new OssRequestBuilder({
      accessKeyId: o.credentials.accessKeyId,
      accessKeySecret: o.credentials.accessKeySecret,
      ...(o.credentials.securityToken ? { securityToken: o.credentials.securityToken } : {}),
      bucket: o.bucket,
      region: this.region,
      ...(o.endpoint ? { endpoint: o.endpoint } : { secure: true }),
      internal: o.internal ?? false,
      signatureV4: o.signatureV4 ?? false,
    });
    this.http = new HttpTransport(this.requests.origin);
  }

  /** The ali-oss client, for multipart control and restore only (loaded the first time one is asked for). */
  client(): Promise<OSS> {
    const o = this.o;
    this.sdk ??= import('./client.ts').then(({ createOssClient }) => {
      const client = createOssClient({
        accessKeyId: o.credentials.accessKeyId,
        accessKeySecret: o.credentials.accessKeySecret,
        ...(o.credentials.securityToken ? { securityToken: o.credentials.securityToken } : {}),
        bucket: o.bucket,
        region: this.region,
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        internal: o.internal ?? false,
        signatureV4: o.signatureV4 ?? false,
        timeoutMs: 120_000,
        // Network-level retries only (ali-oss never retries HTTP errors; the engine does).
        retryMax: 0,
      });
      // ali-oss drops response headers from errors; keep them (Retry-After, x-oss-qos-delay-time).
      const patched = client as unknown as {
        requestError: (r: { headers?: Record<string, string> }) => Promise<OssError>;
      };
      const original = patched.requestError.bind(client);
      patched.requestError = async (result) => {
        const err = await original(result);
        if (result?.headers) err.headers = result.headers;
        // "must be addressed using the specified endpoint": the body names the right one.
        const endpoint = /<Endpoint>([^<]+)<\/Endpoint>/.exec(
          String((result as { data?: unknown }).data ?? ''),
        )?.[1];
        if (endpoint) err.endpoint = endpoint;
        return err;
      };
      return client;
    });
    return this.sdk;
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
    pageSize?: number;
  }): AsyncIterable<ListEntry> {
    let token: string | undefined;
    let first = true;
    do {
      if (o.signal?.aborted) return;
      // ali-oss's listV2: list-type first, the continuation token as a sub-resource.
      const query: Record<string, string> = {
        'list-type': '2',
        'max-keys': String(pageKeys(o.pageSize, first)),
        'encoding-type': 'url',
      };
      // Never send empty-valued parameters (their V4 signing differs between SDKs).
      if (o.prefix) query.prefix = o.prefix;
      if (o.delimiter) query.delimiter = o.delimiter;
      if (first && o.startAfter) query['start-after'] = o.startAfter;
      let xml: string;
      try {
        const res = await this.send('GET', '', {
          query,
          ...(token ? { subres: { 'continuation-token': token } } : {}),
          // As under ali-oss: a page in flight completes; the signal is checked between pages.
          timeout: 120_000,
          ok: [200],
        });
        xml = await bodyText(res);
      } catch (e) {
        throw ossError(e, `list ${this.name}/${o.prefix}`);
      }
      first = false;
      // With encoding-type=url keys come percent-encoded (keys may hold characters XML cannot).
      const entries: ListEntry[] = [];
      for (const c of xmlElements(xml, 'Contents')) {
        const cls = xmlChild(c, 'StorageClass');
        const restore = parseRestore(xmlChild(c, 'RestoreInfo'));
        entries.push({
          kind: 'object',
          info: {
            key: decodeKey(xmlChild(c, 'Key') ?? ''),
            size: Number(xmlChild(c, 'Size')),
            lastModified: listDate(xmlChild(c, 'LastModified')),
            etag: stripEtag(xmlChild(c, 'ETag')),
            ...(cls ? { storageClass: CLASS_FROM_OSS[cls] ?? 'STANDARD' } : {}),
            ...(restore ? { restore } : {}),
          },
        });
      }
      for (const p of xmlElements(xml, 'CommonPrefixes'))
        entries.push({ kind: 'prefix', prefix: decodeKey(xmlChild(p, 'Prefix') ?? '') });
      // OSS returns objects and prefixes in separate lists; merge them back into key order.
      entries.sort((a, b) => {
        const x = a.kind === 'object' ? a.info.key : a.prefix;
        const y = b.kind === 'object' ? b.info.key : b.prefix;
        return compareKeys(x, y);
      });
      yield* entries;
      // Entries hold no element of these names (and text is escaped, so a key cannot fake one).
      token =
        xmlChild(xml, 'IsTruncated') === 'true'
          ? xmlChild(xml, 'NextContinuationToken') || undefined
          : undefined;
    } while (token);
  }

  private headOf(key: string, headers: Record<string, string>): ObjectHead {
    return headersToHead(key, headers, 'x-oss-', (c) => CLASS_FROM_OSS[c] ?? 'STANDARD');
  }

  /**
   * One data-path request, built and signed as ali-oss would (ossRequest.ts), sent with undici. Resolves with the
   * response when its status is expected (body unread); otherwise rejects with an error shaped
   * like ali-oss's (status, code, requestId, headers, endpoint) for ossError.
   */
  private async send(
    method: 'GET' | 'HEAD' | 'PUT',
    key: string,
    o: {
      headers?: Record<string, string>;
      subres?: Record<string, string>;
      query?: Record<string, string>;
      mime?: string;
      body?: WriteBody;
      timeout: number;
      signal?: AbortSignal;
      ok: number[];
    },
  ): Promise<HttpResponse> {
    const built = this.requests.build(method, key, {
      ...(o.headers ? { headers: o.headers } : {}),
      ...(o.subres ? { subres: o.subres } : {}),
      ...(o.query ? { query: o.query } : {}),
      ...(o.mime ? { mime: o.mime } : {}),
    });
    const res = await this.http.request({
      method,
      path: built.path,
      headers: built.headers,
      ...(o.body ? { body: o.body } : {}),
      timeoutMs: o.timeout,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (o.ok.includes(res.status)) return res;
    throw await responseError(method, res);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const res = await this.send('HEAD', key, { timeout: 60_000, ok: [200], ...(signal ? { signal } : {}) });
      res.body.resume();
      return this.headOf(key, res.headers);
    } catch (e) {
      const err = e as OssError;
      if (err.status === 404 && (err.code === 'NoSuchKey' || err.code === undefined)) return undefined;
      throw ossError(e, `head ${key}`);
    }
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const headers: Record<string, string> = {};
    if (o.range) headers.Range = `bytes=${o.range.start}-${o.range.end - 1}`;
    if (o.ifMatch) headers['If-Match'] = `"${o.ifMatch.toUpperCase()}"`;
    try {
      const res = await this.send('GET', key, {
        headers,
        timeout: 24 * 3600_000,
        ok: [200, 206],
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const h = res.headers;
      const head = this.headOf(key, h);
      // A Range response's Content-Length is the part; the object size is in Content-Range.
      const total = /\/(\d+)$/.exec(h['content-range'] ?? '');
      if (total) head.size = Number(total[1]);
      return { body: res.body, head };
    } catch (e) {
      throw ossError(e, `get ${key}`);
    }
  }

  private writeHeaders(o: WriteOptions): Record<string, string> {
    const h = metadataHeaders(o, 'x-oss-meta-');
    if (o.storageClass) h['x-oss-storage-class'] = CLASS_TO_OSS[o.storageClass];
    if (o.forbidOverwrite) h['x-oss-forbid-overwrite'] = 'true';
    if (o.serverSideEncryption) h['x-oss-server-side-encryption'] = o.serverSideEncryption;
    if (o.contentMd5) h['Content-MD5'] = o.contentMd5;
    return h;
  }

  async write(key: string, body: WriteBody, o: WriteOptions): Promise<WriteResult> {
    try {
      const res = await this.send('PUT', key, {
        headers: { ...this.writeHeaders(o), 'Content-Length': String(o.size) },
        ...(o.contentType ? { mime: o.contentType } : {}),
        body,
        timeout: timeoutFor(o.size),
        ok: [200],
        ...(o.signal ? { signal: o.signal } : {}),
      });
      res.body.resume();
      return writeResult(res.headers);
    } catch (e) {
      throw writeError(e, key);
    }
  }

  async multipartInit(key: string, o: WriteOptions): Promise<string> {
    try {
      const headers = this.writeHeaders(o);
      delete headers['Content-MD5'];
      const r = await (await this.client()).initMultipartUpload(key, {
        headers,
        ...(o.contentType ? { mime: o.contentType } : {}),
        timeout: 60_000,
      } as never);
      return r.uploadId;
    } catch (e) {
      throw writeError(e, key);
    }
  }

  async multipartPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    size: number,
  ): Promise<PartResult> {
    try {
      const res = await this.send('PUT', key, {
        headers: { 'Content-Length': String(size) },
        subres: { partNumber: String(partNumber), uploadId },
        body,
        timeout: timeoutFor(size),
        ok: [200],
      });
      res.body.resume();
      const w = writeResult(res.headers);
      return { partNumber, size, ...w };
    } catch (e) {
      throw ossError(e, `upload part ${partNumber} of ${key}`);
    }
  }

  async multipartComplete(
    key: string,
    uploadId: string,
    parts: PartResult[],
    o: { forbidOverwrite?: boolean },
  ): Promise<WriteResult> {
    try {
      const r = await (await this.client()).completeMultipartUpload(
        key,
        uploadId,
        parts.map((p) => ({ number: p.partNumber, etag: `"${p.etag.toUpperCase()}"` })),
        { headers: o.forbidOverwrite ? { 'x-oss-forbid-overwrite': 'true' } : {}, timeout: 300_000 } as never,
      );
      return writeResult((r as unknown as { res: { headers: Record<string, string> } }).res.headers);
    } catch (e) {
      throw writeError(e, key);
    }
  }

  async multipartAbort(key: string, uploadId: string): Promise<void> {
    try {
      await (await this.client()).abortMultipartUpload(key, uploadId, { timeout: 60_000 } as never);
    } catch (e) {
      const err = e as OssError;
      if (err.status === 404) return; // already gone
      throw ossError(e, `abort upload of ${key}`);
    }
  }

  async multipartUploads(key: string): Promise<Array<{ uploadId: string; initiated: number }>> {
    const out: Array<{ uploadId: string; initiated: number }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const r = await (await this.client()).listUploads(
          {
            prefix: key,
            'max-uploads': 1000,
            ...(keyMarker !== undefined
              ? { 'key-marker': keyMarker, 'upload-id-marker': uploadIdMarker }
              : {}),
          } as never,
          { timeout: 60_000 } as never,
        );
        // Listed in key order: the key's own uploads come before longer keys sharing its prefix.
        for (const u of r.uploads) {
          if (u.name !== key) return out;
          out.push({ uploadId: u.uploadId, initiated: Date.parse(u.initiated) });
        }
        if (!r.isTruncated || !r.nextKeyMarker) return out;
        keyMarker = r.nextKeyMarker;
        uploadIdMarker = r.nextUploadIdMarker;
      }
    } catch (e) {
      throw ossError(e, `list the uploads of ${key}`);
    }
  }

  async multipartList(key: string, uploadId: string): Promise<PartResult[] | undefined> {
    const out: PartResult[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const r = (await (
          await this.client()
        ).listParts(key, uploadId, {
          'max-parts': '1000',
          ...(marker ? { 'part-number-marker': marker } : {}),
        } as never)) as unknown as {
          parts?: unknown;
          nextPartNumberMarker?: string;
          isTruncated?: boolean | string;
        };
        const parts = Array.isArray(r.parts) ? r.parts : r.parts ? [r.parts] : [];
        for (const p of parts as Array<{
          PartNumber: string;
          ETag: string;
          Size: string;
          HashCrc64ecma?: string;
        }>) {
          out.push({
            partNumber: Number(p.PartNumber),
            etag: stripEtag(p.ETag),
            size: Number(p.Size),
            ...(p.HashCrc64ecma ? { crc64: p.HashCrc64ecma } : {}),
          });
        }
        if (!(r.isTruncated === true || r.isTruncated === 'true') || !r.nextPartNumberMarker) break;
        marker = r.nextPartNumberMarker;
      }
    } catch (e) {
      if ((e as OssError).status === 404) return undefined;
      throw ossError(e, `list parts of ${key}`);
    }
    return out;
  }

  async restore(
    key: string,
    o: { days: number; tier: string },
  ): Promise<'started' | 'in-progress' | 'restored'> {
    const head = await this.head(key);
    if (head?.restore?.ongoing) return 'in-progress';
    if (head?.restore && !head.restore.ongoing && head.restore.expiresAt) return 'restored';
    const type =
      head?.storageClass === 'COLD_ARCHIVE'
        ? 'ColdArchive'
        : head?.storageClass === 'DEEP_COLD_ARCHIVE'
          ? 'DeepColdArchive'
          : 'Archive';
    try {
      await (await this.client()).restore(key, {
        type,
        Days: o.days,
        ...(type !== 'Archive' ? { JobParameters: o.tier } : {}),
      } as never);
      return 'started';
    } catch (e) {
      const err = e as OssError;
      if (err.code === 'RestoreAlreadyInProgress' || err.status === 409) return 'in-progress';
      if (err.status === 200) return 'restored'; // ali-oss only accepts 202; 200 = already restored
      throw ossError(e, `restore ${key}`);
    }
  }

  /** GetBucketInfo (GET /?bucketInfo): proves the credentials and names the bucket's region. */
  async probe(): Promise<ProbeResult> {
    try {
      const res = await this.send('GET', '', { subres: { bucketInfo: '' }, timeout: 120_000, ok: [200] });
      const xml = await bodyText(res);
      const location = xmlChild(xml, 'Location');
      const date = res.headers.date ? Date.parse(res.headers.date) : Number.NaN;
      return {
        reachable: true,
        ...(location ? { region: location.replace(/^oss-/, '') } : {}),
        ...(Number.isNaN(date) ? {} : { clockSkewMs: date - Date.now() }),
      };
    } catch (e) {
      throw ossError(e, `bucket ${this.o.bucket}`);
    }
  }
}

/** A (small) response body as text: listing pages and bucket info. */
async function bodyText(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/** ETag and CRC-64 from a write's response headers (PUT, UploadPart, Complete). */
function writeResult(h: Record<string, string>): WriteResult & { etag: string } {
  return {
    etag: stripEtag(h.etag),
    ...(h['x-oss-hash-crc64ecma'] ? { crc64: h['x-oss-hash-crc64ecma'] } : {}),
  };
}

/** Writes that meet forbid-overwrite fail with 409 FileAlreadyExists: the key appeared meanwhile. */
function writeError(e: unknown, key: string): MigrationError {
  const err = e as OssError;
  if (err.status === 409 && err.code === 'FileAlreadyExists') {
    return new MigrationError(
      'DEST_NEWER',
      `${key}: written in the destination meanwhile (FileAlreadyExists)`,
      {
        status: 409,
        code: 'FileAlreadyExists',
      },
    );
  }
  if (err.status === 400 && err.code === 'InvalidDigest') {
    return new MigrationError('CRC_MISMATCH', `${key}: the body did not match its MD5 (InvalidDigest)`, {
      status: 400,
      code: 'InvalidDigest',
    });
  }
  return ossError(e, `put ${key}`);
}

/**
 * An unexpected answer as an error shaped like ali-oss's. The code, message, request id and (for a
 * wrong region) the right endpoint come from the XML body — or, for HEAD, which has none, from the
 * base64 XML in x-oss-err. The body is read up to 64 KiB, which also frees the socket.
 */
async function responseError(method: string, res: HttpResponse): Promise<OssError> {
  const { status, headers: h } = res;
  let xml = '';
  if (method === 'HEAD') {
    res.body.resume();
    if (h['x-oss-err']) xml = Buffer.from(h['x-oss-err'], 'base64').toString('utf8');
  } else {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > 65_536) break;
        chunks.push(c);
      }
    } catch {
      // the status alone classifies the failure
    }
    res.body.destroy();
    xml = Buffer.concat(chunks).toString('utf8');
  }
  const code = xmlChild(xml, 'Code') || undefined;
  const requestId = xmlChild(xml, 'RequestId') || h['x-oss-request-id'];
  const endpoint = xmlChild(xml, 'Endpoint') || undefined;
  const err: OssError = Object.assign(
    new Error(xmlChild(xml, 'Message') || STATUS_CODES[status] || `HTTP ${status}`),
    {
      name: code ? `${code}Error` : 'ResponseError',
      status,
      headers: h,
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
      ...(endpoint ? { endpoint } : {}),
    },
  );
  return err;
}

function decodeKey(k: string): string {
  try {
    return decodeURIComponent(k.replace(/\+/g, '%20'));
  } catch {
    return k;
  }
}
