/** Service and bucket operations: GetService, PutBucket, HeadBucket, GetBucketLocation, GET Bucket (V1 and V2). */
import type { Bucket } from '../common/objects.ts';
import { type CosBackend, type Ctx, drainBody, sendEmpty, sendXml } from './context.ts';
import { Err } from './errors.ts';
import { BUCKET_NAME, isoDate, quoteEtag } from './model.ts';
import { intParam, urlEncodeKey } from './multipart.ts';

export async function getService(api: CosBackend, ctx: Ctx, region: string | undefined): Promise<void> {
  await drainBody(ctx);
  const id = api.ownerId();
  const buckets = api.buckets
    .all()
    .filter((b) => region === undefined || b.region === region)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sendXml(ctx, {
    ListAllMyBucketsResult: {
      Owner: { ID: `qcs::cam::uin/${id}:uin/${id}`, DisplayName: id },
      Buckets: {
        Bucket: buckets.map((b) => ({
          Name: b.name,
          Location: b.region,
          CreationDate: isoDate(b.created).replace(/\.\d{3}Z$/, 'Z'),
          BucketType: 'cos',
        })),
      },
    },
  });
}

export async function putBucket(api: CosBackend, ctx: Ctx, region: string): Promise<void> {
  await drainBody(ctx);
  const name = ctx.bucketName ?? '';
  if (!BUCKET_NAME.test(name)) {
    throw Err.invalidBucketName();
  }
  if (api.buckets.get(name)) throw Err.bucketAlreadyOwnedByYou();
  api.buckets.create(name, region);
  sendEmpty(ctx, 200);
}

export async function headBucket(_api: CosBackend, ctx: Ctx): Promise<void> {
  await drainBody(ctx);
  sendEmpty(ctx, 200, { 'x-cos-bucket-region': ctx.bucket!.region });
}

export async function getBucketLocation(_api: CosBackend, ctx: Ctx): Promise<void> {
  await drainBody(ctx);
  sendXml(ctx, { LocationConstraint: ctx.bucket!.region });
}

function encoding(ctx: Ctx): (s: string) => string {
  const e = ctx.query.get('encoding-type');
  if (e === undefined || e === '') return (s) => s;
  if (e !== 'url') throw Err.invalidArgument('encoding-type must be url.');
  return urlEncodeKey;
}

function contents(
  api: CosBackend,
  bucket: Bucket,
  objs: ReturnType<Bucket['list']>['contents'],
  e: (s: string) => string,
  withOwner: boolean,
) {
  const id = api.ownerId(bucket.name);
  return objs.map((o) => ({
    Key: e(o.key),
    LastModified: isoDate(o.lastModified),
    ETag: quoteEtag(o.etag),
    Size: String(o.size),
    Owner: withOwner ? { ID: id, DisplayName: id } : undefined,
    StorageClass: o.storageClass,
  }));
}

/** GET Bucket (List Objects V1): prefix, delimiter, marker, max-keys (≤1000), encoding-type=url. */
export async function listObjects(api: CosBackend, ctx: Ctx): Promise<void> {
  const e = encoding(ctx);
  const bucket = ctx.bucket!;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const marker = ctx.query.get('marker') ?? '';
  const maxKeys = intParam(ctx, 'max-keys', 1000, 1000);
  await drainBody(ctx);
  const page = bucket.list({
    prefix,
    ...(delimiter ? { delimiter } : {}),
    ...(marker ? { after: marker } : {}),
    maxKeys,
  });
  sendXml(ctx, {
    ListBucketResult: {
      Name: bucket.name,
      EncodingType: ctx.query.get('encoding-type') ? 'url' : undefined,
      Prefix: e(prefix),
      Marker: e(marker),
      MaxKeys: String(maxKeys),
      Delimiter: delimiter ? e(delimiter) : undefined,
      IsTruncated: String(page.truncated),
      // COS returns NextMarker whenever the listing is truncated, with or without a delimiter.
      NextMarker: page.truncated && page.nextMarker !== undefined ? e(page.nextMarker) : undefined,
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: e(p) })),
      Contents: contents(api, bucket, page.contents, e, true),
    },
  });
}

const TOKEN_PREFIX = 'cos-sandbox:';

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX))
    throw Err.invalidArgument('The continuation token provided is incorrect.');
  return text.slice(TOKEN_PREFIX.length);
}

/** ListObjectsV2 (`list-type=2`), as S3 clients use it: continuation tokens, start-after, fetch-owner. */
export async function listObjectsV2(api: CosBackend, ctx: Ctx): Promise<void> {
  const e = encoding(ctx);
  const bucket = ctx.bucket!;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const startAfter = ctx.query.get('start-after') ?? '';
  const token = ctx.query.get('continuation-token');
  const maxKeys = intParam(ctx, 'max-keys', 1000, 1000);
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  await drainBody(ctx);
  const after = token ? decodeToken(token) : startAfter;
  const page = bucket.list({
    prefix,
    ...(delimiter ? { delimiter } : {}),
    ...(after ? { after } : {}),
    maxKeys,
  });
  sendXml(ctx, {
    ListBucketResult: {
      Name: bucket.name,
      EncodingType: ctx.query.get('encoding-type') ? 'url' : undefined,
      Prefix: e(prefix),
      StartAfter: startAfter ? e(startAfter) : undefined,
      ContinuationToken: token,
      MaxKeys: String(maxKeys),
      KeyCount: String(page.contents.length + page.commonPrefixes.length),
      Delimiter: delimiter ? e(delimiter) : undefined,
      IsTruncated: String(page.truncated),
      NextContinuationToken:
        page.truncated && page.nextMarker !== undefined
          ? Buffer.from(TOKEN_PREFIX + page.nextMarker, 'utf8').toString('base64url')
          : undefined,
      CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: e(p) })),
      Contents: contents(api, bucket, page.contents, e, fetchOwner),
    },
  });
}
