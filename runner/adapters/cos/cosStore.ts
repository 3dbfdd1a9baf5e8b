/**
 * Tencent Cloud COS through cos-nodejs-sdk-v5. The data path — listing pages, HEAD and the
 * streaming GET — is signed as the SDK signs (cosSign.ts) and sent with undici: the SDK's request
 * stack and XML parser cost more CPU than a small object's copy, and its getObjectStream only
 * reveals the response headers after the body has ended, while a copy needs them first
 * (Content-Type and metadata for the PUT, the whole-object CRC-64, the ETag). The bucket probe is
 * a one-key listing on the same path (retried on 5xx and network errors, 4 attempts, as the SDK
 * did). PUT (COS as a destination) and restore go through the SDK, loaded on first use: its
 * request stack (request, tough-cookie, psl) cost ~0.15 CPU-s of every COS job's start.
 */

import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type COS from 'cos-nodejs-sdk-v5';
import type { CosCredentials } from '../../config/credentials.ts';
import { classifyHttp, isNetworkCode, MigrationError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ListEntry, ObjectHead, StorageClass } from '../../core/types.ts';
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
import { headersToHead, listDate, metadataHeaders, retryAfterMs, stripEtag } from '../http/headers.ts';
import { type HttpResponse, HttpTransport } from '../http/transport.ts';
import { xmlChild, xmlElements } from '../http/xml.ts';
import { CosSigner, camSafe } from './cosSign.ts';

// Not `import … from 'node:http'`: an ESM import of it builds the module's ESM facade, whose
// getters load Node's internal undici (~45 CPU-ms of every start, for one status table).
const { STATUS_CODES } = process.getBuiltinModule('node:http');

export type CosStoreOptions = {
  /** name-APPID */
  bucket: string;
  region: string;
  credentials: CosCredentials;
  /** Override, e.g. http://127.0.0.1:PORT (the sandbox). The Host header stays the bucket's. */
  endpoint?: string;
};

const CLASS_FROM_COS: Record<string, StorageClass> = {
  STANDARD: 'STANDARD',
  MAZ_STANDARD: 'STANDARD',
  STANDARD_IA: 'IA',
  MAZ_STANDARD_IA: 'IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  MAZ_INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  ARCHIVE: 'ARCHIVE',
  DEEP_ARCHIVE: 'DEEP_COLD_ARCHIVE',
};
const CLASS_TO_COS: Record<StorageClass, string> = {
  STANDARD: 'STANDARD',
  IA: 'STANDARD_IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  ARCHIVE: 'ARCHIVE',
  COLD_ARCHIVE: 'DEEP_ARCHIVE',
  DEEP_COLD_ARCHIVE: 'DEEP_ARCHIVE',
};

type CosError = Error & {
  statusCode?: number;
  code?: string;
  RequestId?: string;
  headers?: Record<string, string>;
  error?: { Code?: string; Message?: string; RequestId?: string };
};

export function cosError(e: unknown, what: string): MigrationError {
  const err = e as CosError;
  const status = err.statusCode;
  // HEAD errors carry only the status as code ('404'); bodies carry the COS code.
  const code = err.error?.Code ?? (err.code && !/^\d+$/.test(err.code) ? err.code : undefined);
  const requestId = err.RequestId ?? err.error?.RequestId ?? err.headers?.['x-cos-request-id'];
  const extra = {
    ...(status ? { status } : {}),
    ...(code ? { code } : {}),
    ...(requestId ? { requestId } : {}),
    ...(err.headers ? { retryAfterMs: retryAfterMs(err.headers) } : {}),
    cause: e,
  };
  if (!status && (isNetworkCode(err.code) || isNetworkCode(err.name))) {
    return new MigrationError('NETWORK', `${what}: ${err.code ?? err.name} ${err.message}`, extra);
  }
  if (!status) return new MigrationError('NETWORK', `${what}: ${err.message}`, extra);
  return new MigrationError(
    classifyHttp(status, code),
    `${what}: ${code ?? `HTTP ${status}`} ${err.error?.Message ?? err.message}`,
    extra,
  );
}

function decodeKey(k: string): string {
  try {
    return decodeURIComponent(k.replace(/\+/g, '%20'));
  } catch {
    return k;
  }
}

export class CosStore implements ObjectStore {
  readonly features: StoreFeatures = {
    crc64: true,
    multipart: false,
    minPartSize: 1024 * 1024,
    maxPartSize: 5 * 1024 ** 3,
    maxParts: 10_000,
    maxPutSize: 5 * 1024 ** 3,
    archive: true,
    forbidOverwrite: false,
  };
  readonly name: string;
  private sdk?: Promise<COS>;
  private readonly host: string;
  private readonly target: URL;
  private readonly http: HttpTransport;
  private readonly signer: CosSigner;

  constructor(readonly o: CosStoreOptions) {
    this.name = `cos://${o.bucket}`;
    this.host = `${o.bucket}.cos.${o.region}.myqcloud.com`;
    this.target = new URL(o.endpoint ?? `https://${this.host}`);
    const secure = this.target.protocol === 'https:';
    this.http = new HttpTransport(this.target.origin, secure && o.endpoint ? { servername: this.host } : {});
    this.signer = new CosSigner(o.credentials.secretId, o.credentials.secretKey);
  }

  /** The SDK client, for PUT and restore only (loaded the first time one is asked for). */
  client(): Promise<COS> {
    const o = this.o;
    this.sdk ??= import('cos-nodejs-sdk-v5').then(
      ({ default: COS }) =>
        new COS({
          SecretId: o.credentials.secretId,
          SecretKey: o.credentials.secretKey,
          ...(o.credentials.securityToken ? { SecurityToken: o.credentials.securityToken } : {}),
          Protocol: this.target.protocol === 'https:' ? 'https:' : 'http:',
          ...(o.endpoint ? { Ip: this.target.host } : {}),
          KeepAlive: true,
          Timeout: 0,
          // Keys as stored: "/x" is its own object (by default the SDK strips the leading "/").
          UseRawKey: true,
        } as COS.COSOptions),
    );
    return this.sdk;
  }

  private base() {
    return { Bucket: this.o.bucket, Region: this.o.region };
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
    pageSize?: number;
  }): AsyncIterable<ListEntry> {
    let marker = o.startAfter;
    for (let first = true; ; first = false) {
      if (o.signal?.aborted) return;
      const query: Record<string, string> = {
        'encoding-type': 'url',
        'max-keys': String(pageKeys(o.pageSize, first)),
      };
      if (o.prefix) query.prefix = o.prefix;
      if (o.delimiter) query.delimiter = o.delimiter;
      if (marker) query.marker = marker;
      const xml = await this.listPage(query, o.signal);
      const entries: ListEntry[] = [];
      for (const c of xmlElements(xml, 'Contents')) {
        entries.push({
          kind: 'object',
          info: {
            key: decodeKey(xmlChild(c, 'Key') ?? ''),
            size: Number(xmlChild(c, 'Size') ?? 0),
            lastModified: listDate(xmlChild(c, 'LastModified')),
            etag: stripEtag(xmlChild(c, 'ETag')),
            storageClass: CLASS_FROM_COS[xmlChild(c, 'StorageClass') ?? 'STANDARD'] ?? 'STANDARD',
          },
        });
      }
      for (const p of xmlElements(xml, 'CommonPrefixes'))
        entries.push({ kind: 'prefix', prefix: decodeKey(xmlChild(p, 'Prefix') ?? '') });
      entries.sort((a, b) =>
        compareKeys(a.kind === 'object' ? a.info.key : a.prefix, b.kind === 'object' ? b.info.key : b.prefix),
      );
      yield* entries;
      // Entries hold no element of these names (and text is escaped, so a key cannot fake one).
      if (xmlChild(xml, 'IsTruncated') !== 'true') return;
      const nextMarker = xmlChild(xml, 'NextMarker');
      const next = nextMarker ? decodeKey(nextMarker) : undefined;
      const last = entries[entries.length - 1];
      marker = next ?? (last ? (last.kind === 'object' ? last.info.key : last.prefix) : undefined);
      if (!marker) return;
    }
  }

  /**
   * One GET Bucket page, signed and sent like GET Object: the SDK's generic XML parser costs
   * more per listed object than the rest of a small object's copy.
   */
  private async listPage(query: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const what = `list ${this.name}/${query.prefix ?? ''}`;
    const res = await this.send('GET', '', {}, signal, query).catch((e: unknown) => {
      throw cosError(e, what);
    });
    const xml = await readText(res.body).catch((e: unknown) => {
      throw cosError(e, what);
    });
    if (res.status !== 200) throw bodyError(res.status, xml, res.headers, what);
    return xml;
  }

  private headOf(key: string, headers: Record<string, string>): ObjectHead {
    return headersToHead(key, headers, 'x-cos-', (c) => CLASS_FROM_COS[c] ?? 'STANDARD');
  }

  /**
   * HEAD through the same lean path as GET (signed as the SDK signs, undici): the SDK's request stack costs
   * more CPU than the request itself, and a copy HEADs every source object once.
   */
  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    const res = await this.send('HEAD', key, {}, signal).catch((e: unknown) => {
      throw cosError(e, `head ${key}`);
    });
    res.body.resume();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw statusError(res.status, undefined, '', res.headers, `head ${key}`);
    return this.headOf(key, res.headers);
  }

  /** One signed request over the keep-alive pool; the response is returned unread. */
  private send(
    method: 'GET' | 'HEAD',
    key: string,
    extra: Record<string, string>,
    signal?: AbortSignal,
    query: Record<string, string> = {},
    signer = this.signer,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { host: this.host, ...extra };
    const authorization = signer.authorization({ method, key, query, headers });
    const search = Object.entries(query)
      .map(([k, v]) => `${camSafe(k)}=${camSafe(v)}`)
      .join('&');
    const path = `/${key.split('/').map(camSafe).join('/')}${search ? `?${search}` : ''}`;
    return this.http.request({
      method,
      path,
      headers: {
        ...headers,
        authorization,
        ...(this.o.credentials.securityToken
          ? { 'x-cos-security-token': this.o.credentials.securityToken }
          : {}),
      },
      // GET bodies stream for as long as the copy takes; undici's idle timeouts catch a stall.
      timeoutMs: method === 'GET' && key ? 24 * 3600_000 : 120_000,
      ...(signal ? { signal } : {}),
    });
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const extra: Record<string, string> = {};
    if (o.range) extra.range = `bytes=${o.range.start}-${o.range.end - 1}`;
    if (o.ifMatch) extra['if-match'] = `"${o.ifMatch}"`;
    const res = await this.send('GET', key, extra, o.signal).catch((e: unknown) => {
      throw cosError(e, `get ${key}`);
    });
    const h = res.headers;
    if (res.status !== 200 && res.status !== 206) {
      const xml = await readText(res.body).catch(() => '');
      throw bodyError(res.status, xml, h, `get ${key}`);
    }
    const head = this.headOf(key, h);
    const total = /\/(\d+)$/.exec(h['content-range'] ?? '');
    if (total) head.size = Number(total[1]);
    return { body: res.body, head };
  }

  async write(key: string, body: WriteBody, o: WriteOptions): Promise<WriteResult> {
    const headers = metadataHeaders(o, 'x-cos-meta-');
    if (o.storageClass) headers['x-cos-storage-class'] = CLASS_TO_COS[o.storageClass];
    if (o.contentMd5) headers['Content-MD5'] = o.contentMd5;
    try {
      const r = await (await this.client()).putObject({
        ...this.base(),
        Key: key,
        Body: body,
        ContentLength: o.size,
        Headers: headers,
      } as never);
      const h = (r as { headers: Record<string, string> }).headers;
      return {
        etag: stripEtag(h.etag),
        ...(h['x-cos-hash-crc64ecma'] ? { crc64: h['x-cos-hash-crc64ecma'] } : {}),
      };
    } catch (e) {
      throw cosError(e, `put ${key}`);
    }
  }

  async restore(
    key: string,
    o: { days: number; tier: string },
  ): Promise<'started' | 'in-progress' | 'restored'> {
    try {
      const r = await (await this.client()).restoreObject({
        ...this.base(),
        Key: key,
        RestoreRequest: { Days: o.days, CASJobParameters: { Tier: o.tier as 'Standard' } },
      } as never);
      return (r as { statusCode?: number }).statusCode === 200 ? 'restored' : 'started';
    } catch (e) {
      const err = e as CosError;
      if (err.statusCode === 409 || err.error?.Code === 'RestoreAlreadyInProgress') return 'in-progress';
      throw cosError(e, `restore ${key}`);
    }
  }

  /**
   * GET Bucket max-keys=1: its headers, or a MigrationError (the code its error body names). A
   * refusal whose Date header is off this clock is tried again signed at the service's time, as
   * the SDK does, so the preflight reports the skew itself rather than an expired signature.
   */
  private async probeList(what: string): Promise<Record<string, string>> {
    let signer = this.signer;
    let corrected = false;
    for (let attempt = 1; ; attempt++) {
      let err: MigrationError;
      try {
        const res = await this.send('GET', '', {}, undefined, { prefix: '', 'max-keys': '1' }, signer);
        const xml = await readText(res.body);
        if (res.status === 200) return res.headers;
        err = bodyError(res.status, xml, res.headers, what);
        const skew = res.headers.date ? Date.parse(res.headers.date) - Date.now() : Number.NaN;
        if (res.status === 403 && !corrected && Math.abs(skew) > SKEW_RESIGN_MS) {
          const { secretId, secretKey } = this.o.credentials;
          signer = new CosSigner(secretId, secretKey, () => Date.now() + skew);
          corrected = true;
          continue;
        }
      } catch (e) {
        err = cosError(e, what);
      }
      const transient = err.status === undefined || err.status >= 500;
      if (!transient || attempt >= PROBE_ATTEMPTS) throw err;
      await sleep(100 * 2 ** attempt);
    }
  }

  async probe(): Promise<ProbeResult> {
    const what = `bucket ${this.o.bucket} in ${this.o.region}`;
    try {
      // A one-key listing, not HEAD: its error body tells a wrong secret from a denied request,
      // and it proves the list permission the scan needs.
      const headers = await this.probeList(what);
      const date = headers.date ? Date.parse(headers.date) : Number.NaN;
      return {
        reachable: true,
        region: this.o.region,
        ...(Number.isNaN(date) ? {} : { clockSkewMs: date - Date.now() }),
      };
    } catch (e) {
      const err = e instanceof MigrationError ? e : cosError(e, what);
      if (err.status === 404) {
        throw new MigrationError('ACCESS_DENIED', `bucket ${this.o.bucket} not found in ${this.o.region}`, {
          status: 404,
          code: 'NoSuchBucket',
        });
      }
      throw err;
    }
  }
}

function statusError(
  status: number,
  code: string | undefined,
  message: string,
  h: Record<string, string>,
  what: string,
): MigrationError {
  const wait = retryAfterMs(h);
  const text = message || STATUS_CODES[status] || '';
  return new MigrationError(classifyHttp(status, code), `${what}: ${code ?? `HTTP ${status}`} ${text}`, {
    status,
    ...(code ? { code } : {}),
    ...(h['x-cos-request-id'] ? { requestId: h['x-cos-request-id'] } : {}),
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

/** An error answer's XML body (Code, Message) → MigrationError. */
function bodyError(status: number, xml: string, h: Record<string, string>, what: string): MigrationError {
  return statusError(status, xmlChild(xml, 'Code') || undefined, xmlChild(xml, 'Message') ?? '', h, what);
}

/** Attempts of the probe's listing, as the SDK made them (5xx and network errors are retried). */
const PROBE_ATTEMPTS = 4;
/** A refused probe is signed again at the service's time when the clocks differ by more. */
const SKEW_RESIGN_MS = 30_000;

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
