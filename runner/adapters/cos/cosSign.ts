/**
 * COS request signatures (q-sign-algorithm=sha1), computed as cos-nodejs-sdk-v5's getAuth computes
 * them, with one difference: the sign key (an HMAC of the key time) is kept for a minute instead
 * of being derived per request, so a request costs one SHA-1 and one HMAC. Every signature stays
 * valid for at least 14 minutes after it is made. test/unit/cosSign.test.ts holds the output
 * equal to the SDK's for the same key time.
 */
import { createHash, createHmac } from 'node:crypto';

/** Request headers COS signs (besides x-cos-* and x-ci-*), as the SDK lists them. */
const SIGNED = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-length',
  'content-md5',
  'content-type',
  'expect',
  'expires',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'origin',
  'range',
  'transfer-encoding',
  'pic-operations',
]);

/** The SDK's camSafeUrlEncode: encodeURIComponent plus !'()*. */
export function camSafe(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&…` with keys lower-cased and sorted, both sides encoded; and the `;`-joined key list. */
function canonical(pairs: Record<string, string>): { str: string; list: string } {
  const keys = Object.keys(pairs).sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x === y ? 0 : x > y ? 1 : -1;
  });
  const str = keys.map((k) => `${camSafe(k).toLowerCase()}=${camSafe(pairs[k] ?? '')}`);
  // The SDK sorts the list after encoding the names (the string before): same for plain names.
  const list = keys.map((k) => camSafe(k).toLowerCase()).sort();
  return { str: str.join('&'), list: list.join(';') };
}

export type CosSignRequest = {
  method: string;
  /** The object key as stored (not URL-encoded); '' for the bucket. */
  key: string;
  query: Record<string, string>;
  headers: Record<string, string>;
};

const VALID_S = 900;
const REUSE_S = 60;

export class CosSigner {
  private keyTime = '';
  private signKey = '';
  private renewAt = 0;

  constructor(
    private readonly secretId: string,
    private readonly secretKey: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The q-key-time in use (renewed every minute). */
  currentKeyTime(): string {
    const now = Math.round(this.nowMs() / 1000) - 1;
    if (now >= this.renewAt) {
      this.keyTime = `${now};${now + VALID_S}`;
      this.signKey = createHmac('sha1', this.secretKey).update(this.keyTime).digest('hex');
      this.renewAt = now + REUSE_S;
    }
    return this.keyTime;
  }

  authorization(r: CosSignRequest): string {
    const keyTime = this.currentKeyTime();
    const signed: Record<string, string> = {};
    for (const k in r.headers) {
      const l = k.toLowerCase();
      if (l.includes('x-cos-') || l.includes('x-ci-') || SIGNED.has(l)) signed[k] = r.headers[k]!;
    }
    const h = canonical(signed);
    const q = canonical(r.query);
    // The path as sent: a key "/x" is requested as "//x" (the SDK's UseRawKey; without it the
    // SDK would drop the key's leading "/" and address another object).
    const pathname = `/${r.key}`;
    const format = `${r.method.toLowerCase()}\n${pathname}\n${q.str}\n${h.str}\n`;
    const digest = createHash('sha1').update(format, 'utf8').digest('hex');
    const signature = createHmac('sha1', this.signKey).update(`sha1\n${keyTime}\n${digest}\n`).digest('hex');
    return (
      `q-sign-algorithm=sha1&q-ak=${this.secretId}&q-sign-time=${keyTime}&q-key-time=${keyTime}` +
      `&q-header-list=${h.list}&q-url-param-list=${q.list}&q-signature=${signature}`
    );
  }
}
