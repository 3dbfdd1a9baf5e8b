/**
 * The storage port. One bucket (or directory) per instance; keys are full keys in it. Adapters
 * (COS, OSS, local, memory) translate SDK calls, vendor header names and storage-class spellings,
 * and turn every failure into a classified MigrationError. Capabilities are declared, never
 * discovered by trying.
 */
import type { Readable } from 'node:stream';
import type { Credentials } from '../config/credentials.ts';
import type { JobSpec } from '../config/job.ts';
import type { ListEntry, ObjectHead, ObjectMetadata, StorageClass } from '../core/types.ts';

export type StoreFeatures = {
  /** HEAD / GET / PUT report the whole-object CRC-64. */
  crc64: boolean;
  /** Multipart upload (as a destination). */
  multipart: boolean;
  minPartSize: number;
  maxPartSize: number;
  maxParts: number;
  /** Largest single PUT. */
  maxPutSize: number;
  /** Archive classes that need a restore before reading. */
  archive: boolean;
  /** Writes can refuse to overwrite an existing key (x-oss-forbid-overwrite). */
  forbidOverwrite: boolean;
  /**
   * Single-part ETags are the MD5 of the body (S3 and compatibles, COS, OSS) and `<hex>-<n>` ones
   * the MD5 of the part MD5s. Default true; false where ETags are opaque (Azure, URL lists).
   */
  md5Etags?: boolean;
};

export type ReadOptions = {
  /** [start, end) byte range. */
  range?: { start: number; end: number };
  /** Fail with SOURCE_CHANGED unless the object still has this ETag. */
  ifMatch?: string;
  signal?: AbortSignal;
};

export type ReadResult = {
  body: Readable;
  /** Headers of the response: whole-object size, CRC-64, ETag, metadata. */
  head: ObjectHead;
};

export type WriteOptions = ObjectMetadata & {
  size: number;
  storageClass?: StorageClass;
  /** Refuse (DEST_NEWER) if the key exists now. */
  forbidOverwrite?: boolean;
  serverSideEncryption?: 'AES256' | 'KMS';
  /** Base64 MD5 of the body when known: the service rejects a body that does not match. */
  contentMd5?: string;
  signal?: AbortSignal;
};

export type WriteResult = { etag?: string; crc64?: string };

/** A body to write: a stream, or (small objects) the whole body already read and checked. */
export type WriteBody = Readable | Buffer;

export type PartResult = { partNumber: number; etag: string; size: number; crc64?: string };

export type ProbeResult = {
  /** The bucket (or directory) exists and the credentials can reach it. */
  reachable: true;
  /** Region the service says the bucket is in (normalised like the job file's). */
  region?: string;
  /** Server clock minus local clock, when the service tells its time. */
  clockSkewMs?: number;
};

export interface ObjectStore {
  /** e.g. `cos://src-1250000000`, `oss://dst`, `local:///data`. */
  readonly name: string;
  readonly features: StoreFeatures;

  /** Stream a listing in key order (UTF-8 bytes). Memory does not grow with the object count. */
  list(opts: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
    /** The most entries the first page needs (a hint; the listing still runs to its end). */
    pageSize?: number;
  }): AsyncIterable<ListEntry>;
  /** undefined when the key does not exist. */
  head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined>;
  read(key: string, opts?: ReadOptions): Promise<ReadResult>;
  write(key: string, body: WriteBody, opts: WriteOptions): Promise<WriteResult>;

  multipartInit?(key: string, opts: WriteOptions): Promise<string>;
  multipartPart?(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    size: number,
    signal?: AbortSignal,
  ): Promise<PartResult>;
  multipartComplete?(
    key: string,
    uploadId: string,
    parts: PartResult[],
    opts: { forbidOverwrite?: boolean; signal?: AbortSignal },
  ): Promise<WriteResult>;
  multipartAbort?(key: string, uploadId: string): Promise<void>;
  /** Parts the service holds for an upload (resume), or undefined if the upload is gone. */
  multipartList?(key: string, uploadId: string): Promise<PartResult[] | undefined>;
  /**
   * The uploads in progress for exactly this key, with when the service started each (ms since
   * the epoch): how a checkpoint whose Initiate answer was lost in a crash finds its upload.
   */
  multipartUploads?(key: string): Promise<Array<{ uploadId: string; initiated: number }>>;

  /** Start (or check) a restore of an archived object. */
  restore?(
    key: string,
    opts: { days: number; tier: string },
  ): Promise<'started' | 'in-progress' | 'restored'>;

  /**
   * CRC-64 of the stored bytes when the store cannot report it but can compute it cheaply
   * (a local file). Verification uses it; cloud stores never download for it.
   */
  checksum?(key: string, signal?: AbortSignal): Promise<string | undefined>;

  /** Preflight: bucket reachable with these credentials, its region, the server clock. */
  probe(): Promise<ProbeResult>;
}

/** A store ossmigrate only reads from (URL lists, UpYun): no writes, no CRC-64, no archive. */
export const READ_ONLY_SOURCE: StoreFeatures = {
  crc64: false,
  multipart: false,
  minPartSize: 1,
  maxPartSize: Number.MAX_SAFE_INTEGER,
  maxParts: 1,
  maxPutSize: 0,
  archive: false,
  forbidOverwrite: false,
};

/** Every adapter's write path gets these. */
export const NO_METADATA: ObjectMetadata = { meta: {} };

/** A job's two ends. */
export type Stores = { src: ObjectStore; dst: ObjectStore };
/** Builds a job's stores with its credentials (runner/adapters/factory.ts; tests pass their own). */
export type StoresFactory = (spec: JobSpec, creds: Credentials) => Promise<Stores> | Stores;

/** The services' largest listing page. */
export const LIST_PAGE = 1000;

/**
 * max-keys of a listing's page: the caller's hint for the first (a split probe needs 1 key, a
 * task about as many as its scan saw), full pages after it. Every listed entry is parsed, so a
 * full page for a 1-key probe was ~1,000 entries of XML for nothing.
 */
export function pageKeys(hint: number | undefined, first: boolean): number {
  if (!first || hint === undefined || !(hint >= 1)) return LIST_PAGE;
  return Math.min(LIST_PAGE, Math.ceil(hint));
}
