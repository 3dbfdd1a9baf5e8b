/** OSS multipart upload: Initiate, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads. */
import type { Bucket, MultipartUpload, UploadPart } from '../common/objects.ts';
import { asArray, parseXml } from '../common/xml.ts';
import {
  bucketOf,
  type Ctx,
  checkContentMd5,
  header,
  keyOf,
  ossOrAmzHeader,
  sendEmpty,
  sendXml,
} from './context.ts';
import { Err } from './errors.ts';
import {
  copySource,
  declaredLength,
  describedBy,
  forbidOverwrite,
  MAX_PUT_SIZE,
  requestedStorageClass,
  storeBody,
} from './objectOps.ts';
import { etagKey, isoDate, ossEtag } from './present.ts';

export const MIN_PART_SIZE = 100 * 1024;
const MAX_PART_NUMBER = 10_000;

function urlEncoding(ctx: Ctx): ((s: string) => string) | undefined {
  const e = ctx.query.get('encoding-type');
  if (e === undefined || e === '') return undefined;
  if (e !== 'url') throw Err.invalidArgument('Argument encoding-type must be url.', 'encoding-type', e);
  return encodeURIComponent;
}

function uploadOf(ctx: Ctx, bucket: Bucket, key: string): MultipartUpload {
  const id = ctx.query.get('uploadId') ?? '';
  const upload = bucket.uploads.get(id);
  if (!upload || upload.key !== key) throw Err.noSuchUpload(id);
  return upload;
}

function partNumberOf(ctx: Ctx): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw Err.invalidArgument(
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`,
      'partNumber',
      raw,
      '0042-00000101',
    );
  }
  return n;
}

const partHeaders = (p: UploadPart) => ({
  etag: ossEtag(p.etag),
  'x-oss-hash-crc64ecma': p.crc64,
  'content-md5': p.blob.md5.toString('base64'),
});

export function initiateMultipartUpload(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  if (forbidOverwrite(ctx) && bucket.get(key)) throw Err.fileAlreadyExists();
  const upload = bucket.initiate({
    key,
    ...describedBy(ctx),
    storageClass: requestedStorageClass(ctx, bucket),
  });
  const enc = urlEncoding(ctx);
  sendXml(ctx, 200, {
    InitiateMultipartUploadResult: {
      EncodingType: enc ? 'url' : undefined,
      Bucket: bucket.name,
      Key: enc ? enc(key) : key,
      UploadId: upload.uploadId,
    },
  });
}

export async function uploadPart(ctx: Ctx): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const upload = uploadOf(ctx, bucket, key);
  const n = partNumberOf(ctx);
  const length = declaredLength(ctx);
  const blob = await storeBody(ctx, {
    ...(length !== undefined ? { expectedLength: length } : {}),
    maxLength: MAX_PUT_SIZE,
  });
  try {
    checkContentMd5(ctx, blob.md5);
    if (bucket.uploads.get(upload.uploadId) !== upload) throw Err.noSuchUpload(upload.uploadId);
  } catch (err) {
    ctx.host.blobs.release(blob);
    throw err;
  }
  sendEmpty(ctx, 200, partHeaders(bucket.setPart(upload, n, blob)));
}

export async function uploadPartCopy(ctx: Ctx): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const upload = uploadOf(ctx, bucket, key);
  const n = partNumberOf(ctx);
  const { bucket: srcBucket, obj: src } = copySource(ctx);
  const ifMatch = ossOrAmzHeader(ctx, 'x-oss-copy-source-if-match');
  if (ifMatch !== undefined && etagKey(ifMatch) !== etagKey(src.etag))
    throw Err.preconditionFailed('If-Match');
  const ifNoneMatch = ossOrAmzHeader(ctx, 'x-oss-copy-source-if-none-match');
  if (ifNoneMatch !== undefined && etagKey(ifNoneMatch) === etagKey(src.etag)) {
    sendEmpty(ctx, 304, { etag: ossEtag(src.etag) });
    return;
  }
  let start = 0;
  let end = src.size;
  const rangeHeader = ossOrAmzHeader(ctx, 'x-oss-copy-source-range');
  if (rangeHeader !== undefined && rangeHeader !== '') {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m || Number(m[2]) < Number(m[1]) || Number(m[2]) >= src.size) {
      throw Err.invalidArgument(
        'The x-oss-copy-source-range is not valid.',
        'x-oss-copy-source-range',
        rangeHeader,
      );
    }
    start = Number(m[1]);
    end = Number(m[2]) + 1;
  }
  if (end - start > MAX_PUT_SIZE) throw Err.entityTooLarge(MAX_PUT_SIZE);
  // Materialise the range as the part's own blob (correct part MD5 / CRC, survives the source).
  const blob = await ctx.host.blobs.put(srcBucket.read(src, start, end), { expectedLength: end - start });
  if (bucket.uploads.get(upload.uploadId) !== upload) {
    ctx.host.blobs.release(blob);
    throw Err.noSuchUpload(upload.uploadId);
  }
  const part = bucket.setPart(upload, n, blob);
  sendXml(
    ctx,
    200,
    { CopyPartResult: { LastModified: isoDate(part.lastModified), ETag: ossEtag(part.etag) } },
    { etag: ossEtag(part.etag), 'x-oss-hash-crc64ecma': part.crc64 },
  );
}

export function completeMultipartUpload(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const upload = uploadOf(ctx, bucket, key);
  if (forbidOverwrite(ctx) && bucket.get(key)) throw Err.fileAlreadyExists('0042-00000214');
  let requested: Array<{ number: number; etag: string }>;
  if ((header(ctx, 'x-oss-complete-all') ?? '').toLowerCase() === 'yes') {
    if (ctx.body.length > 0) {
      throw Err.invalidArgument('x-oss-complete-all must not have a body.', 'x-oss-complete-all', 'yes');
    }
    requested = [...upload.parts.values()]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map((p) => ({ number: p.partNumber, etag: p.etag }));
  } else {
    let doc: Record<string, unknown>;
    try {
      doc = parseXml(ctx.body.toString('utf8'));
    } catch {
      throw Err.malformedXml();
    }
    const root = doc.CompleteMultipartUpload as Record<string, unknown> | undefined;
    if (!root || typeof root !== 'object') throw Err.malformedXml();
    requested = asArray(
      root.Part as Record<string, unknown> | Array<Record<string, unknown>> | undefined,
    ).map((p) => {
      const num = String(p.PartNumber ?? '');
      if (!/^\d+$/.test(num) || typeof p.ETag !== 'string') throw Err.malformedXml();
      return { number: Number(num), etag: p.ETag };
    });
  }
  if (requested.length === 0) throw Err.malformedXml();
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.number <= requested[i - 1]!.number) throw Err.invalidPartOrder();
  }
  const chosen: UploadPart[] = [];
  for (const r of requested) {
    const part = upload.parts.get(r.number);
    if (!part || etagKey(r.etag) !== etagKey(part.etag)) throw Err.invalidPart(r.number, r.etag);
    chosen.push(part);
  }
  for (let i = 0; i < chosen.length - 1; i++) {
    const p = chosen[i]!;
    if (p.size < MIN_PART_SIZE) throw Err.entityTooSmall(p.partNumber, p.size);
  }
  const obj = bucket.complete(upload, chosen);
  obj.lastModified = ctx.host.now();
  const enc = urlEncoding(ctx);
  const h: Record<string, string> = { etag: ossEtag(obj.etag) };
  if (obj.crc64 !== undefined) h['x-oss-hash-crc64ecma'] = obj.crc64;
  sendXml(
    ctx,
    200,
    {
      CompleteMultipartUploadResult: {
        EncodingType: enc ? 'url' : undefined,
        Location: `http://${bucket.name}.${bucket.region}.aliyuncs.com/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
        Bucket: bucket.name,
        Key: enc ? enc(key) : key,
        ETag: ossEtag(obj.etag),
      },
    },
    h,
  );
}

export function abortMultipartUpload(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  bucket.abort(uploadOf(ctx, bucket, keyOf(ctx)));
  sendEmpty(ctx, 204);
}

function boundedInt(ctx: Ctx, name: string, def: number, min: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw Err.invalidArgument(`Argument ${name} must be an integer between ${min} and ${max}.`, name, raw);
  }
  return Number(raw);
}

export function listParts(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const upload = uploadOf(ctx, bucket, key);
  const maxParts = boundedInt(ctx, 'max-parts', 1000, 1, 1000);
  const marker = boundedInt(ctx, 'part-number-marker', 0, 0, MAX_PART_NUMBER);
  const all = [...upload.parts.values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > maxParts;
  const enc = urlEncoding(ctx);
  sendXml(ctx, 200, {
    ListPartsResult: {
      EncodingType: enc ? 'url' : undefined,
      Bucket: bucket.name,
      Key: enc ? enc(key) : key,
      UploadId: upload.uploadId,
      StorageClass: upload.storageClass,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.partNumber ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: isoDate(p.lastModified),
        ETag: ossEtag(p.etag),
        HashCrc64ecma: p.crc64,
        Size: p.size,
      })),
    },
  });
}

export function listMultipartUploads(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const prefix = ctx.query.get('prefix') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = ctx.query.get('upload-id-marker') ?? '';
  const maxUploads = boundedInt(ctx, 'max-uploads', 1000, 1, 1000);
  const enc = urlEncoding(ctx);
  const e = enc ?? ((s: string) => s);
  const { uploads, truncated } = bucket.listUploads({ prefix, keyMarker, uploadIdMarker, maxUploads });
  const last = uploads.at(-1);
  sendXml(ctx, 200, {
    ListMultipartUploadsResult: {
      EncodingType: enc ? 'url' : undefined,
      Bucket: bucket.name,
      KeyMarker: e(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? e(last.key) : '',
      NextUploadIdMarker: truncated && last ? last.uploadId : '',
      Delimiter: e(ctx.query.get('delimiter') ?? ''),
      Prefix: e(prefix),
      MaxUploads: maxUploads,
      IsTruncated: truncated,
      Upload: uploads.map((u) => ({
        Key: e(u.key),
        UploadId: u.uploadId,
        StorageClass: u.storageClass,
        Initiated: isoDate(u.initiated),
      })),
    },
  });
}
