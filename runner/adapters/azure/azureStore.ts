/**
 * Azure Blob Storage as a source, through @azure/storage-blob (#13). One container per instance;
 * keys are blob names. What differs from the S3-like stores, and how the port is kept:
 *   - Azure lists in UTF-16 code-unit order: the listing is reordered into UTF-8 byte order
 *     (utf8Order.ts). `startAfter` is List Blobs `startFrom` (inclusive, UTF-16 order; the
 *     continuation marker is opaque), plus the few blocks the two orders put on opposite sides.
 *   - The ETag ("0x8D…") is a version stamp, not an MD5: it guards reads (If-Match) and tells a
 *     changed blob, but the content evidence is Content-MD5, reported as `checksums.md5`.
 *   - Tiers: Hot → STANDARD, Cool and Cold → IA (both online, read at once), Archive → ARCHIVE
 *     (offline: the engine restores it, i.e. rehydrates it to Hot — a permanent tier change).
 * The SDK's own retries are off: the engine owns retries and their classification.
 */
import type { Readable } from 'node:stream';
import {
  AnonymousCredential,
  type BlobDownloadResponseParsed,
  type BlobGetPropertiesResponse,
  type BlobItem,
  type ContainerClient,
  ContainerClient as ContainerClientCtor,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { AzureCredentials } from '../../config/credentials.ts';
import { ConfigError, classifyHttp, isNetworkCode, MigrationError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ListEntry, ObjectHead, ObjectInfo, StorageClass } from '../../core/types.ts';
import {
  type ObjectStore,
  type ProbeResult,
  pageKeys,
  type ReadOptions,
  type ReadResult,
  type StoreFeatures,
  type WriteBody,
  type WriteOptions,
  type WriteResult,
} from '../../ports/objectStore.ts';
import { utf8Order } from './utf8Order.ts';

export type AzureStoreOptions = {
  account: string;
  container: string;
  credentials: AzureCredentials;
  /** Where the credentials came from (an env var name, the file): for messages, never values. */
  credentialsOrigin?: string;
  /** Blob service URL: https://ACCOUNT.blob.core.windows.net by default; Azurite: http://HOST:PORT/ACCOUNT. */
  endpoint?: string;
};

/** Azure tiers → the port's classes. Cold is online in Azure (unlike OSS ColdArchive): IA. */
const CLASS_FROM_TIER: Record<string, StorageClass> = {
  Hot: 'STANDARD',
  Cool: 'IA',
  Cold: 'IA',
  Archive: 'ARCHIVE',
  Smart: 'INTELLIGENT_TIERING',
};
const TIER_FROM_CLASS: Record<StorageClass, 'Hot' | 'Cool' | 'Archive'> = {
  STANDARD: 'Hot',
  IA: 'Cool',
  INTELLIGENT_TIERING: 'Hot',
  ARCHIVE: 'Archive',
  COLD_ARCHIVE: 'Archive',
  DEEP_COLD_ARCHIVE: 'Archive',
};

const tierClass = (tier: string | undefined): StorageClass => (tier && CLASS_FROM_TIER[tier]) || 'STANDARD';

/** `"0x8D…"` → `0x8D…`: unquoted, case kept (it is sent back verbatim in If-Match). */
const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^W\//, '').replace(/"/g, '');
const b64 = (md5: Uint8Array | undefined): string | undefined =>
  md5?.length ? Buffer.from(md5).toString('base64') : undefined;

type RestErrorLike = Error & {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string; message?: string };
  response?: { headers?: { get(name: string): string | undefined } };
};

/** Parsed `Key=Value;…` connection string (the SDK keeps its parser private). */
function parseConnectionString(cs: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of cs.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export class AzureStore implements ObjectStore {
  readonly features: StoreFeatures = {
    crc64: false,
    multipart: false,
    minPartSize: 1024 * 1024,
    maxPartSize: 4000 * 1024 ** 2,
    maxParts: 50_000,
    maxPutSize: 5000 * 1024 ** 2,
    archive: true,
    forbidOverwrite: true,
  };
  readonly name: string;
  private readonly container: ContainerClient;
  private readonly credHint: string;

  constructor(readonly o: AzureStoreOptions) {
    this.name = `azure://${o.account}/${o.container}`;
    this.credHint = o.credentialsOrigin ? ` (from ${o.credentialsOrigin})` : '';
    const c = o.credentials;
    let endpoint = o.endpoint;
    let key = c.accountKey;
    let sas = c.sasToken;
    let accountName = c.accountName;
    if (c.connectionString) {
      const cs = parseConnectionString(c.connectionString);
      key ??= cs.AccountKey;
      sas ??= cs.SharedAccessSignature;
      accountName ??= cs.AccountName;
      if (!endpoint && cs.BlobEndpoint) endpoint = cs.BlobEndpoint.replace(/\/$/, '');
      if (!endpoint && cs.EndpointSuffix)
        endpoint = `${cs.DefaultEndpointsProtocol ?? 'https'}://${o.account}.blob.${cs.EndpointSuffix}`;
    }
    if (key && accountName && accountName !== o.account) {
      throw new ConfigError(
        `the Azure credentials${this.credHint} are for account "${accountName}", but the source names account "${o.account}"`,
        `use the key of "${o.account}" (AZURE_STORAGE_ACCOUNT / AccountName must match the account in azure://ACCOUNT/CONTAINER/)`,
      );
    }
    const base = `${endpoint ?? `https://${o.account}.blob.core.windows.net`}/${encodeURIComponent(o.container)}`;
    const pipeline = { retryOptions: { maxTries: 1 }, keepAliveOptions: { enable: true } };
    this.container = key
      ? new ContainerClientCtor(base, new StorageSharedKeyCredential(o.account, key), pipeline)
      : new ContainerClientCtor(
          `${base}?${(sas ?? '').replace(/^\?/, '')}`,
          new AnonymousCredential(),
          pipeline,
        );
  }

  /** A failure from the SDK → the engine's taxonomy, with Azure's own error codes. */
  private classify(e: unknown, what: string): MigrationError {
    if (e instanceof MigrationError) return e;
    const err = e as RestErrorLike;
    const status = err.statusCode;
    const code = err.details?.errorCode ?? (err.code && !/^\d+$/.test(err.code) ? err.code : undefined);
    const requestId = err.response?.headers?.get('x-ms-request-id');
    const extra = {
      ...(status ? { status } : {}),
      ...(code ? { code } : {}),
      ...(requestId ? { requestId } : {}),
      cause: e,
    };
    if (!status || err.name === 'AbortError') {
      const net = isNetworkCode(err.code) ? `${err.code} ` : '';
      return new MigrationError('NETWORK', `${what}: ${net}${err.message.split('\n')[0]}`, extra);
    }
    const first = (err.details?.message ?? err.message ?? '').split('\n')[0];
    const msg = `${what}: ${code ?? `HTTP ${status}`} ${first}`.trim();
    switch (code) {
      case 'BlobNotFound':
        return new MigrationError('SOURCE_GONE', msg, extra);
      case 'ConditionNotMet':
        return new MigrationError('SOURCE_CHANGED', msg, extra);
      case 'BlobArchived':
      case 'BlobBeingRehydrated':
        return new MigrationError('ARCHIVED', msg, extra);
      case 'Md5Mismatch':
        return new MigrationError('CRC_MISMATCH', msg, extra);
      case 'BlobAlreadyExists':
        return new MigrationError('DEST_NEWER', msg, extra);
      case 'ServerBusy':
      case 'OperationTimedOut':
        return new MigrationError('THROTTLED', msg, extra);
      case 'InvalidResourceName':
      case 'InvalidUri':
        return new MigrationError('INVALID_OBJECT_NAME', msg, extra);
      case 'AuthenticationFailed':
        return new MigrationError(
          'ACCESS_DENIED',
          `${what}: AuthenticationFailed — Azure refused the credentials${this.credHint}; check the account key, the SAS token (its expiry) or the connection string`,
          extra,
        );
      // Azure: the credentials are valid but not enough (SAS permissions, firewall, RBAC).
      // Azurite also answers this to a wrong key.
      case 'AuthorizationFailure':
      case 'AuthorizationPermissionMismatch':
      case 'AuthorizationResourceTypeMismatch':
        return new MigrationError(
          'ACCESS_DENIED',
          `${what}: ${code} — Azure refused the request with the credentials${this.credHint}; check the key or SAS token, that a SAS grants read and list (sp=rl) and has not expired, and the account's firewall rules`,
          extra,
        );
      case 'ContainerNotFound':
        return new MigrationError(
          'ACCESS_DENIED',
          `${what}: ContainerNotFound — no container "${this.o.container}" in account "${this.o.account}"`,
          extra,
        );
    }
    return new MigrationError(classifyHttp(status, code), msg, extra);
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
    pageSize?: number;
  }): AsyncIterable<ListEntry> {
    const nameOf = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);
    const after = o.startAfter;
    // The first page of the outer listing is sized by the caller's hint; inner ones (reordering) not.
    // startFrom is inclusive: one more name, the start key itself, which is dropped below.
    let hint = o.pageSize !== undefined && after !== undefined ? o.pageSize + 1 : o.pageSize;
    const raw = (prefix: string, from?: string) => {
      const first = hint;
      hint = undefined;
      return this.listUtf16(prefix, o.delimiter, from, first, o.signal);
    };
    // startFrom takes one level below the prefix in a delimited listing: start at that level's
    // entry (a common prefix holding startAfter is listed, as S3 does).
    let from = after;
    if (after !== undefined && o.delimiter && after.startsWith(o.prefix)) {
      const cut = after.indexOf(o.delimiter, o.prefix.length);
      if (cut >= 0) from = after.slice(0, cut);
    }
    for await (const e of utf8Order(raw, o.prefix, nameOf, from)) {
      if (after !== undefined) {
        const n = nameOf(e);
        // A common prefix still holds keys after startAfter when startAfter is inside it (as S3).
        if (compareKeys(n, after) <= 0 && !(e.kind === 'prefix' && after.startsWith(n))) continue;
      }
      yield e;
    }
  }

  /**
   * The service's own listing (UTF-16 order), page by page, from `from` on (List Blobs startFrom,
   * inclusive, service version 2026-02-06; a service that ignores it lists from the start, and
   * utf8Order drops what comes before).
   */
  private async *listUtf16(
    prefix: string,
    delimiter: string | undefined,
    from: string | undefined,
    firstPage: number | undefined,
    signal?: AbortSignal,
  ) {
    const what = `list ${this.name}/${prefix}`;
    const opts = {
      prefix,
      // A split key can end inside a surrogate pair: no URL holds it, so list from the start.
      ...(from?.isWellFormed() ? { startFrom: from } : {}),
      ...(signal ? { abortSignal: signal } : {}),
    };
    let marker: string | undefined;
    for (let first = true; ; first = false) {
      if (signal?.aborted) return;
      // A fresh pager per page: the first page can be small (a split probe reads 100 names).
      const size = first && firstPage !== undefined ? pageKeys(firstPage, true) : 5000;
      const pageOf = () => {
        const p = delimiter
          ? this.container
              .listBlobsByHierarchy(delimiter, opts)
              .byPage({ maxPageSize: size, continuationToken: marker })
          : this.container.listBlobsFlat(opts).byPage({ maxPageSize: size, continuationToken: marker });
        return p.next();
      };
      let page: Awaited<ReturnType<typeof pageOf>>;
      try {
        page = await pageOf().catch((e: unknown) => {
          // A kept-alive socket the service closed while this process was busy: the request never
          // reached it, and a listing is a read, so it is sent again once on a new connection.
          if (!staleSocket(e)) throw e;
          return pageOf();
        });
      } catch (e) {
        throw this.classify(e, what);
      }
      if (page.done) return;
      const seg = page.value.segment as {
        blobItems: BlobItem[];
        blobPrefixes?: { name: string }[];
      };
      const entries: ListEntry[] = seg.blobItems.map((b) => ({ kind: 'object', info: infoOf(b) }));
      for (const p of seg.blobPrefixes ?? []) entries.push({ kind: 'prefix', prefix: p.name });
      // A page holds blobs and prefixes apart: merge them (UTF-16, as the service orders pages).
      if (seg.blobPrefixes?.length) entries.sort((a, b) => cmp16(nameOf16(a), nameOf16(b)));
      yield* entries;
      marker = page.value.continuationToken;
      if (!marker) return;
    }
  }

  /**
   * The SDK addresses a blob by URL, and URLs fold "." and ".." segments ("a/../b" is "b"): such a
   * name would read another blob, so it is refused before any request.
   */
  private blob(key: string) {
    if (key.split('/').some((seg) => /^(\.|%2e){1,2}$/i.test(seg)))
      throw new MigrationError(
        'INVALID_OBJECT_NAME',
        `${key}: a name with a "." or ".." segment cannot be read through Azure's URL addressing (it would name another blob)`,
      );
    return this.container.getBlobClient(key);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const p = await this.blob(key).getProperties(signal ? { abortSignal: signal } : {});
      return headOf(key, p, p.contentLength ?? 0);
    } catch (e) {
      const err = this.classify(e, `head ${key}`);
      if (err.status === 404 && err.code !== 'ContainerNotFound') return undefined;
      throw err;
    }
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const offset = o.range?.start ?? 0;
    const count = o.range ? o.range.end - o.range.start : undefined;
    let res: BlobDownloadResponseParsed;
    try {
      res = await this.blob(key).download(offset, count, {
        ...(o.ifMatch ? { conditions: { ifMatch: `"${o.ifMatch}"` } } : {}),
        ...(o.signal ? { abortSignal: o.signal } : {}),
      });
    } catch (e) {
      throw this.classify(e, `get ${key}`);
    }
    const total = /\/(\d+)$/.exec(res.contentRange ?? '');
    const head = headOf(key, res, total ? Number(total[1]) : (res.contentLength ?? 0));
    const md5 = b64(res.blobContentMD5);
    if (md5) head.checksums = { md5 };
    return { body: res.readableStreamBody as Readable, head };
  }

  async write(key: string, body: WriteBody, o: WriteOptions): Promise<WriteResult> {
    const meta: Record<string, string> = {};
    // Azure metadata names are C# identifiers: "-" is refused, so it travels as "_".
    for (const [k, v] of Object.entries(o.meta)) meta[k.replace(/-/g, '_')] = v;
    try {
      const r = await this.container
        .getBlockBlobClient(key)
        .upload(Buffer.isBuffer(body) ? body : () => body, o.size, {
          blobHTTPHeaders: {
            ...(o.contentType ? { blobContentType: o.contentType } : {}),
            ...(o.contentEncoding ? { blobContentEncoding: o.contentEncoding } : {}),
            ...(o.contentDisposition ? { blobContentDisposition: o.contentDisposition } : {}),
            ...(o.contentLanguage ? { blobContentLanguage: o.contentLanguage } : {}),
            ...(o.cacheControl ? { blobCacheControl: o.cacheControl } : {}),
          },
          metadata: meta,
          ...(o.storageClass ? { tier: TIER_FROM_CLASS[o.storageClass] } : {}),
          ...(o.contentMd5 ? { transactionalContentMD5: Buffer.from(o.contentMd5, 'base64') } : {}),
          ...(o.forbidOverwrite ? { conditions: { ifNoneMatch: '*' } } : {}),
          ...(o.signal ? { abortSignal: o.signal } : {}),
        });
      return { etag: unquote(r.etag) };
    } catch (e) {
      const err = this.classify(e, `put ${key}`);
      // If-None-Match: * on an existing blob answers 409 BlobAlreadyExists (or 412 on some paths).
      if (o.forbidOverwrite && err.status === 412)
        throw new MigrationError('DEST_NEWER', err.message, { status: 412 });
      throw err;
    }
  }

  /**
   * Rehydrate an archived blob by moving it to Hot. Unlike an S3/COS restore this is not a
   * temporary copy: the blob stays Hot afterwards (days is ignored). Standard priority takes up to
   * 15 hours, High (tier "Expedited") under an hour for blobs below 10 GiB.
   */
  async restore(
    key: string,
    o: { days: number; tier: string },
  ): Promise<'started' | 'in-progress' | 'restored'> {
    const blob = this.blob(key);
    try {
      const p = await blob.getProperties();
      if (p.archiveStatus?.startsWith('rehydrate-pending')) return 'in-progress';
      if (p.accessTier !== 'Archive') return 'restored';
      await blob.setAccessTier('Hot', { rehydratePriority: o.tier === 'Expedited' ? 'High' : 'Standard' });
      // Azurite rehydrates at once; Azure answers 202 and reports rehydrate-pending-to-hot.
      const now = await blob.getProperties();
      return now.accessTier === 'Archive' ? 'started' : 'restored';
    } catch (e) {
      const err = this.classify(e, `rehydrate ${key}`);
      if (err.code === 'BlobBeingRehydrated') return 'in-progress';
      throw err;
    }
  }

  /** A one-blob listing, not a container HEAD: it proves the list permission the scan needs. */
  async probe(): Promise<ProbeResult> {
    try {
      const page = await this.container.listBlobsFlat().byPage({ maxPageSize: 1 }).next();
      const date = (page.value as { date?: Date } | undefined)?.date;
      return { reachable: true, ...(date ? { clockSkewMs: date.getTime() - Date.now() } : {}) };
    } catch (e) {
      throw this.classify(e, `container ${this.o.container} in account ${this.o.account}`);
    }
  }
}

/** ECONNRESET / "socket hang up" before any response: the server had closed an idle socket. */
function staleSocket(e: unknown): boolean {
  const err = e as RestErrorLike;
  return (
    !err.statusCode &&
    err.name !== 'AbortError' &&
    (err.code === 'ECONNRESET' || /socket hang up/i.test(err.message ?? ''))
  );
}

/** UTF-16 code-unit order: the service's own. */
const cmp16 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const nameOf16 = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);

function infoOf(b: BlobItem): ObjectInfo {
  const p = b.properties;
  const md5 = b64(p.contentMD5);
  const storageClass = tierClass(p.accessTier);
  const rehydrating = p.archiveStatus?.startsWith('rehydrate-pending');
  return {
    key: b.name,
    size: p.contentLength ?? 0,
    lastModified: p.lastModified,
    etag: unquote(p.etag),
    storageClass,
    ...(rehydrating ? { restore: { ongoing: true } } : {}),
    ...(md5 ? { checksums: { md5 } } : {}),
  };
}

function headOf(
  key: string,
  p: BlobGetPropertiesResponse | BlobDownloadResponseParsed,
  size: number,
): ObjectHead {
  const md5 = b64(p.contentMD5);
  const rehydrating = 'archiveStatus' in p && p.archiveStatus?.startsWith('rehydrate-pending');
  const tier = 'accessTier' in p ? p.accessTier : undefined;
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) meta[k.toLowerCase()] = v;
  return {
    key,
    size,
    lastModified: p.lastModified ?? new Date(0),
    etag: unquote(p.etag),
    storageClass: tierClass(tier),
    ...(rehydrating ? { restore: { ongoing: true } } : {}),
    ...(md5 ? { checksums: { md5 } } : {}),
    ...(p.contentType ? { contentType: p.contentType } : {}),
    ...(p.contentEncoding ? { contentEncoding: p.contentEncoding } : {}),
    ...(p.contentDisposition ? { contentDisposition: p.contentDisposition } : {}),
    ...(p.contentLanguage ? { contentLanguage: p.contentLanguage } : {}),
    ...(p.cacheControl ? { cacheControl: p.cacheControl } : {}),
    meta,
  };
}
