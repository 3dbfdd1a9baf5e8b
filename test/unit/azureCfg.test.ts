/** ossimport srcType=azure: AccountName/AccountKey in srcAccessKey/srcSecretKey, srcDomain = EndpointSuffix. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseProperties, translate } from '../../runner/config/ossimportCfg.ts';
import { ConfigError } from '../../runner/core/errors.ts';

const cfg = async (set: Record<string, string | null> = {}) => {
  const p = parseProperties(
    await readFile(new URL('../fixtures/ossimport/azure.job.cfg', import.meta.url), 'utf8'),
  );
  for (const [k, v] of Object.entries(set)) {
    if (v === null) p.delete(k);
    else p.set(k, v);
  }
  return p;
};

describe('ossimport srcType=azure', () => {
  it('reads the sample: China cloud suffix → the account’s blob endpoint, container, prefix, shared key', async () => {
    const t = translate(await cfg(), new Map(), 'azure.job.cfg');
    assert.deepEqual(t.spec.source, {
      type: 'azure',
      account: 'exampleacct',
      container: 'media-container',
      prefix: 'docs/',
      endpoint: 'https://exampleacct.blob.core.chinacloudapi.cn',
    });
    assert.deepEqual(t.credentials.azure, {
      accountName: 'exampleacct',
      accountKey: 'ZmFrZS1henVyZS1rZXktZm9yLXRlc3RzLW9ubHk=',
    });
    assert.equal(t.credentials.origin?.azure, 'azure.job.cfg');
    assert.equal(t.spec.verify.afterImport, true);
  });

  it('takes srcDomain as a suffix, a blob URL or an emulator URL', async () => {
    const src = async (srcDomain: string) =>
      translate(await cfg({ srcDomain }), new Map(), 'j.cfg').spec.source;
    assert.equal('endpoint' in (await src('core.windows.net')), false, 'the default cloud needs no endpoint');
    assert.deepEqual(await src('https://other1.blob.core.windows.net/'), {
      type: 'azure',
      account: 'other1',
      container: 'media-container',
      prefix: 'docs/',
      endpoint: 'https://other1.blob.core.windows.net',
    });
    const emu = await src('http://127.0.0.1:10000/devstoreaccount1');
    assert.equal(
      emu.type === 'azure' && `${emu.account} ${emu.endpoint}`,
      'devstoreaccount1 http://127.0.0.1:10000/devstoreaccount1',
    );
  });

  it('names the cfg keys when the account or the key is missing', async () => {
    const p = await cfg({ srcAccessKey: '', srcDomain: 'core.windows.net' });
    try {
      translate(p, new Map(), 'j.cfg');
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /j\.cfg: srcAccessKey is missing or empty/);
      assert.match(e.fix ?? '', /srcType=azure: the storage account name/);
    }
    const t = translate(await cfg({ srcSecretKey: '' }), new Map(), 'j.cfg');
    assert.equal(t.credentials.azure, undefined);
    assert.equal(t.credentials.hint?.azure, 'srcSecretKey is empty in j.cfg: fill it in');
  });
});
