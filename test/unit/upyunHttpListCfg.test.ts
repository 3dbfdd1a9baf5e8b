/**
 * ossimport srcType=youpai and srcType=http read from fixtures that reproduce Alibaba's samples:
 * what each key becomes, and the messages for the values a user gets wrong.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseProperties, translate } from '../../runner/config/ossimportCfg.ts';
import { ConfigError } from '../../runner/core/errors.ts';

const FIX = new URL('../fixtures/ossimport/', import.meta.url);
async function cfg(name: string, set: Record<string, string | null> = {}): Promise<Map<string, string>> {
  const p = parseProperties(await readFile(new URL(name, FIX), 'utf8'));
  for (const [k, v] of Object.entries(set)) {
    if (v === null) p.delete(k);
    else p.set(k, v);
  }
  return p;
}

describe('ossimport srcType=youpai', () => {
  it('srcBucket is the service, srcAccessKey/srcSecretKey the operator and its password', async () => {
    const t = translate(await cfg('upyun-youpai.job.cfg'), new Map(), 'job.cfg');
    assert.deepEqual(t.spec.source, {
      type: 'upyun',
      service: 'mybucket',
      prefix: 'docs/',
      endpoint: 'http://v0.api.upyun.com',
    });
    assert.deepEqual(t.credentials.upyun, { operator: 'operator', password: 'password' });
    assert.ok(
      t.notes.some((n) => /srcDomain: http:\/\/v0\.api\.upyun\.com is contacted over plain http/.test(n)),
    );
    assert.ok(!t.notes.some((n) => /isDownloadFromCdn|cdnDomain/.test(n)), t.notes.join('\n'));
  });

  it('notes isDownloadFromCdn=true as ignored; an empty password names the key to fill in', async () => {
    const t = translate(
      await cfg('upyun-youpai.job.cfg', { isDownloadFromCdn: 'true' }),
      new Map(),
      'job.cfg',
    );
    assert.ok(
      t.notes.some((n) =>
        /^isDownloadFromCdn=true: ignored — ossmigrate downloads through the REST API/.test(n),
      ),
    );
    const e = translate(await cfg('upyun-youpai.job.cfg', { srcSecretKey: '' }), new Map(), 'job.cfg');
    assert.equal(e.credentials.upyun, undefined);
    assert.equal(e.credentials.hint?.upyun, 'srcSecretKey is empty in job.cfg: fill it in');
  });

  it('refuses --src-region and a srcDomain that is no address', async () => {
    assert.throws(
      () =>
        translate(
          parseProperties(
            'srcType=youpai\nsrcBucket=m\nsrcDomain=not a host\ndestDomain=https://oss-cn-hangzhou.aliyuncs.com\ndestBucket=d\n',
          ),
        ),
      (e: unknown) =>
        e instanceof ConfigError && /srcDomain "not a host" is not an UpYun API address/.test(e.message),
    );
    await assert.rejects(
      async () => translate(await cfg('upyun-youpai.job.cfg'), new Map(), 'job.cfg', { srcRegion: 'x' }),
      /--src-region does not apply: job.cfg has srcType=youpai \(UpYun has no regions\)/,
    );
  });
});

describe('ossimport srcType=http', () => {
  it('httpListFilePath, httpPrefixColumn (trailing space) and relativePathColumn', async () => {
    const t = translate(
      await cfg('httpList-http.job.cfg', { httpListFilePath: '/data/http.list' }),
      new Map(),
      'job.cfg',
    );
    assert.deepEqual(t.spec.source, {
      type: 'http-list',
      listFile: '/data/http.list',
      prefixColumn: 1,
      relativePathColumn: 2,
      prefix: '',
    });
    assert.ok(!t.notes.some((n) => /httpListFilePath: ignored/.test(n)), t.notes.join('\n'));
  });

  it("the template's Windows path, a bad column and equal columns are errors naming the key", async () => {
    await assert.rejects(
      async () => translate(await cfg('httpList-http.job.cfg'), new Map(), 'job.cfg'),
      /httpListFilePath=c:\/example\/http\.list is a Windows path/,
    );
    await assert.rejects(
      async () =>
        translate(
          await cfg('httpList-http.job.cfg', { httpListFilePath: '/l', relativePathColumn: 'two' }),
          new Map(),
          'job.cfg',
        ),
      /relativePathColumn=two is not a column number/,
    );
    await assert.rejects(
      async () =>
        translate(
          await cfg('httpList-http.job.cfg', { httpListFilePath: '/l', relativePathColumn: '1' }),
          new Map(),
          'job.cfg',
        ),
      /relativePathColumn \(source\.relativePathColumn\): prefixColumn and relativePathColumn must be different columns/,
    );
  });
});
