/**
 * Just enough XML for listing pages (ListBucketResult and friends): flat scans with indexOf, no
 * tree. The services' listings are machine-written, element-only and unnamespaced inside; a
 * generic parser spends ~70 µs per listed object on them, which is a third of a small copy.
 */

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITY[e] ?? m;
  });
}

/** The inner text of each `<tag>…</tag>` in `xml`, in order (not nested in itself). */
export function* xmlElements(xml: string, tag: string, from = 0, to = xml.length): Generator<string> {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  let i = xml.indexOf(open, from);
  while (i !== -1 && i < to) {
    const start = i + open.length;
    const end = xml.indexOf(close, start);
    if (end === -1 || end > to) return;
    yield xml.slice(start, end);
    i = xml.indexOf(open, end + close.length);
  }
}

/** The decoded text of the first `<tag>…</tag>` (or `<tag/>` → ''), or undefined. */
export function xmlChild(xml: string, tag: string): string | undefined {
  const open = `<${tag}>`;
  const i = xml.indexOf(open);
  if (i === -1) return xml.includes(`<${tag}/>`) ? '' : undefined;
  const end = xml.indexOf(`</${tag}>`, i + open.length);
  return end === -1 ? undefined : decodeXmlText(xml.slice(i + open.length, end));
}
