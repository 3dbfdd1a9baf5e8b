/** Header plumbing shared by the OSS and COS adapters (their headers differ only in the vendor prefix). */
import type { ObjectHead, ObjectMetadata, StorageClass } from '../../core/types.ts';

/** `"ABC…"` or `W/"…"` → `abc…` (lower case, unquoted; multipart suffix kept). */
export function stripEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/"/g, '').toLowerCase();
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

/** Response headers (lower-case names) → ObjectHead. `vendor` is 'x-oss-' or 'x-cos-'. */
export function headersToHead(
  key: string,
  headers: Record<string, string | string[] | undefined>,
  vendor: 'x-oss-' | 'x-cos-',
  storageClass: (vendorName: string) => StorageClass,
): ObjectHead {
  const get = (n: string): string | undefined => {
    const v = headers[n];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const meta: Record<string, string> = {};
  const metaPrefix = `${vendor}meta-`;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(metaPrefix) && value !== undefined) {
      const v = Array.isArray(value) ? value.join(',') : value;
      meta[name.slice(metaPrefix.length)] = v;
    }
  }
  const restore = parseRestore(get(`${vendor}restore`));
  const crc = get(`${vendor}hash-crc64ecma`);
  const cls = get(`${vendor}storage-class`);
  const head: ObjectHead = {
    key,
    size: Number(get('content-length') ?? 0),
    lastModified: listDate(get('last-modified')),
    etag: stripEtag(get('etag')),
    storageClass: cls ? storageClass(cls) : 'STANDARD',
    meta,
  };
  if (crc) head.crc64 = crc;
  if (restore) head.restore = restore;
  const ct = get('content-type');
  if (ct) head.contentType = ct;
  const ce = get('content-encoding');
  if (ce) head.contentEncoding = ce;
  const cd = get('content-disposition');
  if (cd) head.contentDisposition = cd;
  const cl = get('content-language');
  if (cl) head.contentLanguage = cl;
  const cc = get('cache-control');
  if (cc) head.cacheControl = cc;
  const ex = get('expires');
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
