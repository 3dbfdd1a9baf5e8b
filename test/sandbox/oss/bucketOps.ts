/** Service- and bucket-level OSS operations: ListBuckets, PutBucket, GetBucketInfo/Location, listings, DeleteMultipleObjects. */

import { compareKeys } from '../../../runner/core/keys.ts';
import type { Bucket, StoredObject } from '../common/objects.ts';
import { asArray, parseXml, type XmlNode } from '../common/xml.ts';
import { bucketOf, type Ctx, sendEmpty, sendXml } from './context.ts';
import { Err } from './errors.ts';
import { isoDate, ossEtag, restoreInfo, storageClassOf } from './present.ts';

/** The account every bucket belongs to (OSS Owner/ID is the account UID). */
export const OWNER = { ID: '1738291912345678', DisplayName: '1738291912345678' };

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function bucketStorageClass(bucket: Bucket): string {
  return (bucket.config.get('storageClass') as string | undefined) ?? 'Standard';
}

const endpoints = (region: string) => ({
  ExtranetEndpoint: `${region}.aliyuncs.com`,
  IntranetEndpoint: `${region}-internal.aliyuncs.com`,
});

function intParam(ctx: Ctx, name: string, def: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw Err.invalidArgument(`Argument ${name} must be an integer between 0 and ${max}.`, name, raw);
  }
  return Number(raw);
}

function encoding(ctx: Ctx): ((s: string) => string) | undefined {
  const e = ctx.query.get('encoding-type');
  if (e === undefined || e === '') return undefined;
  if (e !== 'url') throw Err.invalidArgument('Argument encoding-type must be url.', 'encoding-type', e);
  return encodeURIComponent;
}

// ---- service level --------------------------------------------------------------------------

export function listBuckets(ctx: Ctx): void {
  const prefix = ctx.query.get('prefix') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const maxKeys = intParam(ctx, 'max-keys', 100, 1000);
  const all = ctx.host.buckets
    .all()
    .filter((b) => b.name.startsWith(prefix) && (marker === '' || b.name > marker))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const page = all.slice(0, maxKeys);
  const truncated = all.length > maxKeys;
  const paged = ctx.query.has('prefix') || ctx.query.has('marker') || ctx.query.has('max-keys');
  sendXml(ctx, 200, {
    ListAllMyBucketsResult: {
      ...(paged
        ? {
            Prefix: prefix,
            Marker: marker,
            MaxKeys: maxKeys,
            IsTruncated: truncated,
            NextMarker: truncated ? page.at(-1)?.name : undefined,
          }
        : {}),
      Owner: OWNER,
      Buckets: {
        Bucket: page.map((b) => ({
          Comment: '',
          CreationDate: isoDate(b.created),
          ...endpoints(b.region),
          Location: b.region,
          Name: b.name,
          Region: b.region.replace(/^oss-/, ''),
          StorageClass: bucketStorageClass(b),
        })),
      },
    },
  });
}

// ---- bucket level ---------------------------------------------------------------------------

export function putBucket(ctx: Ctx): void {
  const name = ctx.bucketName ?? '';
  if (!BUCKET_NAME.test(name)) throw Err.invalidBucketName(name);
  if (ctx.host.buckets.get(name)) throw Err.bucketExists(name);
  let storageClass = 'Standard';
  if (ctx.body.length > 0) {
    let doc: Record<string, unknown>;
    try {
      doc = parseXml(ctx.body.toString('utf8'));
    } catch {
      throw Err.malformedXml();
    }
    const cfg = doc.CreateBucketConfiguration as Record<string, unknown> | undefined;
    if (!cfg || typeof cfg !== 'object') throw Err.malformedXml();
    if (typeof cfg.StorageClass === 'string' && cfg.StorageClass !== '') {
      const sc = storageClassOf(cfg.StorageClass);
      if (!sc) throw Err.invalidArgument('Invalid storage class.', 'StorageClass', cfg.StorageClass);
      storageClass = sc;
    }
  }
  const bucket = ctx.host.buckets.create(name, ctx.hostRegion ?? ctx.host.defaultRegion);
  bucket.config.set('storageClass', storageClass);
  sendEmpty(ctx, 200, { location: `/${name}` });
}

export function getBucketInfo(ctx: Ctx): void {
  const b = bucketOf(ctx);
  sendXml(ctx, 200, {
    BucketInfo: {
      Bucket: {
        AccessMonitor: 'Disabled',
        CreationDate: isoDate(b.created),
        ...endpoints(b.region),
        Location: b.region,
        StorageClass: bucketStorageClass(b),
        TransferAcceleration: 'Disabled',
        CrossRegionReplication: 'Disabled',
        Name: b.name,
        ResourceGroupId: 'rg-default',
        Owner: { DisplayName: OWNER.DisplayName, ID: OWNER.ID },
        AccessControlList: { Grant: 'private' },
        Comment: '',
        DataRedundancyType: 'LRS',
        Versioning: undefined,
        ServerSideEncryptionRule: { SSEAlgorithm: 'None' },
        BucketPolicy: { LogBucket: '', LogPrefix: '' },
      },
    },
  });
}

export function getBucketLocation(ctx: Ctx): void {
  sendXml(ctx, 200, { LocationConstraint: bucketOf(ctx).region });
}

function contents(ctx: Ctx, obj: StoredObject, enc: (s: string) => string, owner: boolean): XmlNode {
  return {
    Key: enc(obj.key),
    LastModified: isoDate(obj.lastModified),
    ETag: ossEtag(obj.etag),
    Type: obj.objectType,
    Size: obj.size,
    StorageClass: obj.storageClass,
    RestoreInfo: restoreInfo(obj, ctx.now),
    Owner: owner ? { ID: OWNER.ID, DisplayName: OWNER.DisplayName } : undefined,
  };
}

const identity = (s: string) => s;

/** GET Bucket (ListObjects, V1): Owner is always present (ali-oss dereferences it). */
export function listObjects(ctx: Ctx): void {
  const b = bucketOf(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const maxKeys = intParam(ctx, 'max-keys', 100, 1000);
  const urlEnc = encoding(ctx);
  const enc = urlEnc ?? identity;
  const page = b.list({ prefix, delimiter, maxKeys, ...(marker !== '' ? { after: marker } : {}) });
  sendXml(ctx, 200, {
    ListBucketResult: {
      Name: b.name,
      Prefix: enc(prefix),
      Marker: enc(marker),
      MaxKeys: maxKeys,
      Delimiter: enc(delimiter),
      EncodingType: urlEnc ? 'url' : undefined,
      IsTruncated: page.truncated,
      NextMarker: page.truncated && page.nextMarker !== undefined ? enc(page.nextMarker) : undefined,
      Contents: page.contents.map((o) => contents(ctx, o, enc, true)),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    },
  });
}

const encodeToken = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(token) || encodeToken(key) !== token) {
    throw Err.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', token);
  }
  return key;
}

/** ListObjectsV2 (`list-type=2`): opaque continuation tokens (base64url of the last key), Owner only with fetch-owner. */
export function listObjectsV2(ctx: Ctx): void {
  const b = bucketOf(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const startAfter = ctx.query.get('start-after');
  const token = ctx.query.get('continuation-token');
  const maxKeys = intParam(ctx, 'max-keys', 100, 1000);
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  const urlEnc = encoding(ctx);
  const enc = urlEnc ?? identity;
  const after = token !== undefined && token !== '' ? decodeToken(token) : startAfter || undefined;
  const page = b.list({ prefix, delimiter, maxKeys, ...(after !== undefined ? { after } : {}) });
  sendXml(ctx, 200, {
    ListBucketResult: {
      Name: b.name,
      Prefix: enc(prefix),
      StartAfter: startAfter !== undefined && startAfter !== '' ? enc(startAfter) : undefined,
      ContinuationToken: token !== undefined && token !== '' ? token : undefined,
      MaxKeys: maxKeys,
      Delimiter: enc(delimiter),
      EncodingType: urlEnc ? 'url' : undefined,
      IsTruncated: page.truncated,
      NextContinuationToken:
        page.truncated && page.nextMarker !== undefined ? encodeToken(page.nextMarker) : undefined,
      KeyCount: page.contents.length + page.commonPrefixes.length,
      Contents: page.contents.map((o) => contents(ctx, o, enc, fetchOwner)),
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: enc(p) })),
    },
  });
}

/** POST /?delete (DeleteMultipleObjects); Content-MD5 is required by the service. */
export function deleteMultiple(ctx: Ctx): void {
  const b = bucketOf(ctx);
  if (ctx.req.headers['content-md5'] === undefined) {
    throw Err.invalidArgument(
      'Content-MD5 is required for DeleteMultipleObjects.',
      'Content-MD5',
      '',
      '0016-00000501',
    );
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(ctx.body.toString('utf8'));
  } catch {
    throw Err.malformedXml();
  }
  const del = doc.Delete as Record<string, unknown> | undefined;
  if (!del || typeof del !== 'object') throw Err.malformedXml();
  const quiet = String(del.Quiet ?? 'false').toLowerCase() === 'true';
  const urlEnc = encoding(ctx);
  const keys = asArray(
    del.Object as Record<string, unknown> | Array<Record<string, unknown>> | undefined,
  ).map((o) => {
    const k = typeof o.Key === 'string' ? o.Key : '';
    return urlEnc ? decodeURIComponent(k) : k;
  });
  if (keys.length === 0 || keys.length > 1000) throw Err.malformedXml();
  for (const k of keys) b.delete(k);
  const enc = urlEnc ?? identity;
  sendXml(ctx, 200, {
    DeleteResult: {
      EncodingType: urlEnc ? 'url' : undefined,
      Deleted: quiet ? [] : [...new Set(keys)].sort(compareKeys).map((k) => ({ Key: enc(k) })),
    },
  });
}
