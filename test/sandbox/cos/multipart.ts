/** Multipart uploads: Initiate, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads. */

import { compareKeys } from '../../../runner/core/keys.ts';
import type { MultipartUpload, UploadPart } from '../common/objects.ts';
import { asArray, parseXml } from '../common/xml.ts';
import {
  type CosBackend,
  type Ctx,
  cosHeader,
  drainBody,
  metaFrom,
  optHeader,
  readSmallBody,
  resourceOf,
  sendEmpty,
  sendXml,
  storeBody,
  storedHeadersFrom,
} from './context.ts';
import { Err } from './errors.ts';
import {
  bareEtag,
  checkKeyForWrite,
  isoDate,
  MAX_PART_BYTES,
  MAX_PART_NUMBER,
  MIN_PART_BYTES,
  quoteEtag,
  storageClassHeader,
} from './model.ts';
import { copyPartResult, copyRangeToBlob } from './objectOps.ts';

function uploadOf(ctx: Ctx): MultipartUpload {
  const upload = ctx.bucket!.uploads.get(ctx.query.get('uploadId') ?? '');
  if (!upload || upload.key !== ctx.key) throw Err.noSuchUpload();
  return upload;
}

function partNumberOf(ctx: Ctx): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw Err.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}.`);
  }
  return n;
}

/** A non-negative integer query parameter, clamped to `max`; InvalidArgument when malformed. */
export function intParam(ctx: Ctx, name: string, dflt: number, max: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) throw Err.invalidArgument(`${name} is not valid.`);
  return Math.min(Number(raw), max);
}

function encodingType(ctx: Ctx): ((s: string) => string) | undefined {
  const e = ctx.query.get('encoding-type');
  if (e === undefined || e === '') return undefined;
  if (e !== 'url') throw Err.invalidArgument('encoding-type must be url.');
  return urlEncodeKey;
}

/** `encoding-type=url`: percent-encode everything but unreserved characters and `/`. */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

function owner(api: CosBackend, ctx: Ctx) {
  const id = api.ownerId(ctx.bucketName);
  return { ID: `qcs::cam::uin/${id}:uin/${id}`, DisplayName: id };
}

export async function initiateMultipartUpload(api: CosBackend, ctx: Ctx): Promise<void> {
  checkKeyForWrite(ctx.key);
  const storageClass = storageClassHeader(cosHeader(ctx, 'storage-class'));
  await drainBody(ctx);
  const upload = ctx.bucket!.initiate({
    key: ctx.key,
    contentType: optHeader(ctx, 'content-type') ?? 'application/octet-stream',
    headers: storedHeadersFrom(ctx),
    meta: metaFrom(ctx),
    storageClass,
  });
  upload.initiated = new Date(api.nowMs());
  sendXml(ctx, {
    InitiateMultipartUploadResult: { Bucket: ctx.bucketName, Key: ctx.key, UploadId: upload.uploadId },
  });
}

export async function uploadPart(api: CosBackend, ctx: Ctx): Promise<void> {
  const n = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const blob = await storeBody(ctx, api.blobs, MAX_PART_BYTES);
  if (ctx.bucket!.uploads.get(upload.uploadId) !== upload) {
    // Aborted or completed while the part was arriving.
    api.blobs.release(blob);
    throw Err.noSuchUpload();
  }
  const part = ctx.bucket!.setPart(upload, n, blob);
  part.lastModified = new Date(api.nowMs());
  sendEmpty(ctx, 200, { etag: quoteEtag(part.etag), 'x-cos-hash-crc64ecma': part.crc64 });
}

export async function uploadPartCopy(api: CosBackend, ctx: Ctx): Promise<void> {
  const n = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const blob = await copyRangeToBlob(api, ctx, MAX_PART_BYTES);
  if (ctx.bucket!.uploads.get(upload.uploadId) !== upload) {
    api.blobs.release(blob);
    throw Err.noSuchUpload();
  }
  const part = ctx.bucket!.setPart(upload, n, blob);
  const now = api.nowMs();
  part.lastModified = new Date(now);
  copyPartResult(ctx, blob, now);
}

export async function completeMultipartUpload(api: CosBackend, ctx: Ctx): Promise<void> {
  uploadOf(ctx);
  const body = await readSmallBody(ctx);
  const upload = uploadOf(ctx);
  let wanted: Array<{ partNumber: number; etag: string }>;
  try {
    const doc = parseXml(body.toString('utf8'));
    const root = doc.CompleteMultipartUpload as { Part?: unknown } | undefined;
    if (!root || typeof root !== 'object') throw new Error('no root');
    wanted = asArray(root.Part as Array<{ PartNumber?: unknown; ETag?: unknown }> | undefined).map((p) => {
      const num = String(p?.PartNumber ?? '');
      if (!/^\d+$/.test(num) || typeof p?.ETag !== 'string') throw new Error('bad part');
      return { partNumber: Number(num), etag: p.ETag };
    });
  } catch {
    throw Err.malformedXML();
  }
  if (wanted.length === 0) throw Err.malformedXML();
  for (let i = 1; i < wanted.length; i++) {
    if (wanted[i]!.partNumber <= wanted[i - 1]!.partNumber) throw Err.invalidPartOrder();
  }
  const chosen: UploadPart[] = wanted.map((w) => {
    const part = upload.parts.get(w.partNumber);
    if (!part || bareEtag(w.etag) !== part.etag) throw Err.invalidPart();
    return part;
  });
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < MIN_PART_BYTES) throw Err.entityTooSmall();
  });
  const obj = ctx.bucket!.complete(upload, chosen);
  obj.lastModified = new Date(api.nowMs());
  sendXml(
    ctx,
    {
      CompleteMultipartUploadResult: {
        Location: resourceOf(ctx),
        Bucket: ctx.bucketName,
        Key: ctx.key,
        ETag: quoteEtag(obj.etag),
      },
    },
    200,
    obj.crc64 !== undefined ? { 'x-cos-hash-crc64ecma': obj.crc64 } : {},
  );
}

export async function abortMultipartUpload(_api: CosBackend, ctx: Ctx): Promise<void> {
  const upload = uploadOf(ctx);
  await drainBody(ctx);
  ctx.bucket!.abort(upload);
  sendEmpty(ctx, 204);
}

export async function listParts(api: CosBackend, ctx: Ctx): Promise<void> {
  const upload = uploadOf(ctx);
  const enc = encodingType(ctx);
  const maxParts = intParam(ctx, 'max-parts', 1000, 1000);
  const marker = intParam(ctx, 'part-number-marker', 0, Number.MAX_SAFE_INTEGER);
  await drainBody(ctx);
  const all = [...upload.parts.values()]
    .filter((p) => p.partNumber > marker)
    .sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  const who = owner(api, ctx);
  sendXml(ctx, {
    ListPartsResult: {
      Bucket: ctx.bucketName,
      EncodingType: enc ? 'url' : undefined,
      Key: enc ? enc(ctx.key) : ctx.key,
      UploadId: upload.uploadId,
      Initiator: who,
      Owner: who,
      PartNumberMarker: String(marker),
      Part: page.map((p) => ({
        PartNumber: String(p.partNumber),
        LastModified: isoDate(p.lastModified),
        ETag: quoteEtag(p.etag),
        Size: String(p.size),
      })),
      NextPartNumberMarker: String(page.at(-1)?.partNumber ?? marker),
      StorageClass: upload.storageClass,
      MaxParts: String(maxParts),
      IsTruncated: String(truncated),
    },
  });
}

export async function listMultipartUploads(api: CosBackend, ctx: Ctx): Promise<void> {
  const enc = encodingType(ctx);
  const e = (s: string) => (enc ? enc(s) : s);
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') || undefined;
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker ? (ctx.query.get('upload-id-marker') ?? '') : '';
  const maxUploads = intParam(ctx, 'max-uploads', 1000, 1000);
  await drainBody(ctx);
  const { uploads } = ctx.bucket!.listUploads({
    prefix,
    keyMarker,
    uploadIdMarker,
    maxUploads: Number.MAX_SAFE_INTEGER,
  });
  const items: Array<{ upload: MultipartUpload } | { prefix: string }> = [];
  let truncated = false;
  const seen = new Set<string>();
  for (const u of uploads) {
    let cp: string | undefined;
    if (delimiter) {
      const at = u.key.indexOf(delimiter, prefix.length);
      if (at >= 0) cp = u.key.slice(0, at + delimiter.length);
    }
    // A common prefix at or before the key marker was returned on an earlier page.
    if (cp !== undefined && (seen.has(cp) || (keyMarker && compareKeys(cp, keyMarker) <= 0))) continue;
    if (items.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (cp !== undefined) {
      seen.add(cp);
      items.push({ prefix: cp });
    } else items.push({ upload: u });
  }
  const last = items.at(-1);
  const who = owner(api, ctx);
  sendXml(ctx, {
    ListMultipartUploadsResult: {
      Bucket: ctx.bucketName,
      EncodingType: enc ? 'url' : undefined,
      KeyMarker: e(keyMarker),
      UploadIdMarker: uploadIdMarker,
      NextKeyMarker: truncated && last ? e('upload' in last ? last.upload.key : last.prefix) : undefined,
      NextUploadIdMarker: truncated && last ? ('upload' in last ? last.upload.uploadId : '') : undefined,
      Delimiter: delimiter !== undefined ? e(delimiter) : undefined,
      Prefix: e(prefix),
      MaxUploads: String(maxUploads),
      IsTruncated: String(truncated),
      Upload: items.flatMap((i) =>
        'upload' in i
          ? [
              {
                Key: e(i.upload.key),
                UploadId: i.upload.uploadId,
                StorageClass: i.upload.storageClass,
                Initiator: who,
                Owner: who,
                Initiated: isoDate(i.upload.initiated),
              },
            ]
          : [],
      ),
      CommonPrefixes: items.flatMap((i) => ('prefix' in i ? [{ Prefix: e(i.prefix) }] : [])),
    },
  });
}
