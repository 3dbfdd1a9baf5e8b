/** Header plumbing shared by the OSS and COS adapters (their headers differ only in the vendor prefix). */
import type { ObjectHead, ObjectMetadata, StorageClass } from '../../core/types.ts';

/** `"ABC…"` or `W/"…"` → `abc…` (lower case, unquoted; multipart suffix kept). */
export function stripEtag(etag: string | undefined): string {
  if (etag === undefined) return '';
  // The usual shape, `"…"`, without regular expressions (called for every listed object).
  if (etag.length >= 2 && etag.charCodeAt(0) === 34 && etag.indexOf('"', 1) === etag.length - 1)
    return etag.slice(1, -1).toLowerCase();
  return etag.replace(/^W\//, '').replace(/"/g, '').toLowerCase();
}

export function listDate(s: string | Date | undefined): Date {
  const d = s instanceof Date ? s : new Date(s ?? 0);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

/** `ongoing-request="false", expiry-date="Sun, 16 Apr 2017 08:12:33 GMT"` → restore state. */
export function parseRestore(v: unknown): { ongoing: boolean; expiresAt?: Date } | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'object') {
    const o = v as { ongoingRequest?: boolean; expiryDate?: string };
    if (o.ongoingRequest === undefined) return undefined;
    return { ongoing: o.ongoingRequest, ...(o.expiryDate ? { expiresAt: new Date(o.expiryDate) } : {}) };
  }
  const s = String(v);
  const ongoing = /ongoing-request="true"/i.test(s);
  const m = /expiry-date="([^"]+)"/i.exec(s);
  return { ongoing, ...(m ? { expiresAt: new Date(m[1]!) } : {}) };
}

/** Milliseconds the server asked us to wait (Retry-After seconds or date; OSS x-oss-qos-delay-time ms). */
export function retryAfterMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ra = headers['retry-after'];
  const v = Array.isArray(ra) ? ra[0] : ra;
  if (v !== undefined && v !== '') {
    if (/^\d+$/.test(v)) return Number(v) * 1000;
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  const qos = headers['x-oss-qos-delay-time'];
  const q = Array.isArray(qos) ? qos[0] : qos;
  return q !== undefined && /^\d+$/.test(q) ? Number(q) : undefined;
}

/** A header that came more than once, joined as HTTP folds it. */
function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** Response headers (lower-case names) → ObjectHead. `vendor` is 'x-oss-' or 'x-cos-'. */
export function headersToHead(
  key: string,
  headers: Record<string, string | string[] | undefined>,
  vendor: 'x-oss-' | 'x-cos-',
  storageClass: (vendorName: string) => StorageClass,
): ObjectHead {
  const meta: Record<string, string> = {};
  const metaPrefix = `${vendor}meta-`;
  for (const name in headers) {
    if (!name.startsWith(metaPrefix)) continue;
    const value = headers[name];
    if (value !== undefined)
      meta[name.slice(metaPrefix.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  const restore = parseRestore(one(headers[`${vendor}restore`]));
  const crc = one(headers[`${vendor}hash-crc64ecma`]);
  const cls = one(headers[`${vendor}storage-class`]);
  const head: ObjectHead = {
    key,
    size: Number(one(headers['content-length']) ?? 0),
    lastModified: listDate(one(headers['last-modified'])),
    etag: stripEtag(one(headers.etag)),
    storageClass: cls ? storageClass(cls) : 'STANDARD',
    meta,
  };
  if (crc) head.crc64 = crc;
  if (restore) head.restore = restore;
  const ct = one(headers['content-type']);
  if (ct) head.contentType = ct;
  const ce = one(headers['content-encoding']);
  if (ce) head.contentEncoding = ce;
  const cd = one(headers['content-disposition']);
  if (cd) head.contentDisposition = cd;
  const cl = one(headers['content-language']);
  if (cl) head.contentLanguage = cl;
  const cc = one(headers['cache-control']);
  if (cc) head.cacheControl = cc;
  const ex = one(headers.expires);
  if (ex) head.expires = ex;
  return head;
}

/** ObjectMetadata → request headers for a write (`metaPrefix` e.g. 'x-oss-meta-'). */
export function metadataHeaders(m: ObjectMetadata, metaPrefix: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (m.contentType) h['Content-Type'] = m.contentType;
  if (m.contentEncoding) h['Content-Encoding'] = m.contentEncoding;
  if (m.contentDisposition) h['Content-Disposition'] = m.contentDisposition;
  if (m.contentLanguage) h['Content-Language'] = m.contentLanguage;
  if (m.cacheControl) h['Cache-Control'] = m.cacheControl;
  if (m.expires) h.Expires = m.expires;
  for (const [k, v] of Object.entries(m.meta)) h[`${metaPrefix}${k}`] = v;
  return h;
}
