/** The emulators' one XML reader: entities and character references decoded once, as the services do. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseXml, toXml } from './common/xml.ts';

const leaf = (xml: string) => (parseXml(`<R><V>${xml}</V></R>`) as { R: { V: string } }).R.V;

describe('parseXml (shared by the OSS and COS emulators)', () => {
  it('decodes decimal and hex character references (Go encoding/xml writes &#34; for ")', () => {
    assert.equal(leaf('&#34;5d41402abc4b2a76b9719d911017c592&#34;'), '"5d41402abc4b2a76b9719d911017c592"');
    assert.equal(leaf('&#x22;x&#x22; &#x4E2D;&#25991; &#x1F600;'), '"x" 中文 😀');
  });

  it('decodes the five named entities', () => {
    assert.equal(leaf('&quot;&amp;&lt;&gt;&apos;'), '"&<>\'');
  });

  it('decodes once: an escaped reference stays literal text', () => {
    assert.equal(leaf('&amp;#34;'), '&#34;');
    assert.equal(leaf('&#38;#34;'), '&#34;');
    assert.equal(leaf('&amp;amp;'), '&amp;');
  });

  it('gives back what toXml wrote, for every character toXml escapes', () => {
    const text = 'a"b\'c<d>e&f &#34; &amp;';
    const doc = parseXml(toXml({ R: { V: text } })) as { R: { V: string } };
    assert.equal(doc.R.V, text);
  });

  it('decodes inside repeated elements (a CompleteMultipartUpload part list)', () => {
    const doc = parseXml(
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;a&#34;</ETag></Part>' +
        '<Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part></CompleteMultipartUpload>',
    ) as { CompleteMultipartUpload: { Part: Array<{ ETag: string }> } };
    assert.deepEqual(
      doc.CompleteMultipartUpload.Part.map((p) => p.ETag),
      ['"a"', '"b"'],
    );
  });
});
