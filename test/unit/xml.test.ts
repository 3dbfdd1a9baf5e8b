import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeXmlText, xmlChild, xmlElements } from '../../runner/adapters/http/xml.ts';

describe('listing XML scanner', () => {
  const page =
    '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>a/</Prefix>' +
    '<IsTruncated>true</IsTruncated><NextMarker>a%2F2</NextMarker>' +
    '<CommonPrefixes><Prefix>a/d/</Prefix></CommonPrefixes>' +
    '<Contents><Key>a/1</Key><ETag>&quot;abc&quot;</ETag><Size>3</Size><Owner><ID>1</ID></Owner></Contents>' +
    '<Contents><Key>a/&lt;2&gt; &amp; &#233;&#x4e2d;</Key><ETag/><Size>0</Size></Contents></ListBucketResult>';

  it('yields each element in order with its children decoded', () => {
    const contents = [...xmlElements(page, 'Contents')];
    assert.equal(contents.length, 2);
    assert.deepEqual(
      contents.map((c) => [xmlChild(c, 'Key'), xmlChild(c, 'ETag'), xmlChild(c, 'Size')]),
      [
        ['a/1', '"abc"', '3'],
        ['a/<2> & é中', '', '0'],
      ],
    );
    assert.deepEqual(
      [...xmlElements(page, 'CommonPrefixes')].map((p) => xmlChild(p, 'Prefix')),
      ['a/d/'],
    );
    assert.equal(xmlChild(page, 'IsTruncated'), 'true');
    assert.equal(xmlChild(page, 'NextMarker'), 'a%2F2');
    assert.equal(xmlChild(page, 'Missing'), undefined);
  });

  it('leaves unknown entities and plain text alone', () => {
    assert.equal(decodeXmlText('a &bogus; b'), 'a &bogus; b');
    assert.equal(decodeXmlText('plain'), 'plain');
  });

  it('stops at a truncated document instead of running past it', () => {
    assert.deepEqual(
      [...xmlElements('<Contents><Key>x</Key></Contents><Contents><Key>y', 'Contents')],
      ['<Key>x</Key>'],
    );
  });
});
