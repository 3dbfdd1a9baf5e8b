/** XML in and out for the emulators: a small builder (exact element order) and a lenient parser. */
import { EntityDecoder } from '@nodable/entities';
import { XMLParser } from 'fast-xml-parser';

export type XmlValue = string | number | boolean | undefined | null | XmlNode | XmlValue[];
export type XmlNode = { [element: string]: XmlValue };

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

function render(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => render(name, v)).join('');
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => render(k, v))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * Serialise `{ Root: { A: '1', B: [{ C: 'x' }, { C: 'y' }] } }` with keys in insertion order;
 * arrays repeat the element, undefined/null are omitted, '' gives an empty element.
 */
export function toXml(doc: XmlNode, declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'): string {
  const [root, value] = Object.entries(doc)[0] ?? [];
  if (root === undefined) throw new Error('toXml needs one root element');
  return declaration + render(root, value);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  processEntities: true,
  // fast-xml-parser's own decoder, but with character references (`&#34;`, `&#x22;`) decoded as
  // XML requires and the services do: Go's encoding/xml writes every quote in an ETag that way.
  // Its default leaves them literal. One pass, so `&amp;#34;` stays the text `&#34;`.
  entityDecoder: new EntityDecoder({ numericAllowed: true }),
});

/**
 * Parse an XML document; every leaf is a string, repeated elements become arrays, and the five
 * named entities and character references are decoded (here only: callers never decode again).
 * Throws on malformed input.
 */
export function parseXml(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (!trimmed.startsWith('<')) throw new Error('not XML');
  const doc = parser.parse(trimmed, true) as Record<string, unknown>;
  return doc;
}

/** Always an array: xml parsers give a single element as an object. */
export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
