/** Azure credentials: the three environment forms, the file's azure: key, never echoed. */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCredentials, secretValues } from '../../runner/config/credentials.ts';
import { ConfigError } from '../../runner/core/errors.ts';

describe('Azure credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-azcred-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes a connection string first, then account + key, then a SAS token', async () => {
    const env = {
      AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a1;AccountKey=k1',
      AZURE_STORAGE_ACCOUNT: 'a2',
      AZURE_STORAGE_KEY: 'k2',
      AZURE_STORAGE_SAS_TOKEN: '?sv=x&sig=s',
      OSSMIGRATE_CREDENTIALS: '',
      HOME: dir,
    };
    const all = await loadCredentials({ env });
    assert.deepEqual(all.azure, { connectionString: 'AccountName=a1;AccountKey=k1' });
    assert.equal(all.origin.azure, 'AZURE_STORAGE_CONNECTION_STRING');
    const key = await loadCredentials({ env: { ...env, AZURE_STORAGE_CONNECTION_STRING: '' } });
    assert.deepEqual(key.azure, { accountKey: 'k2', accountName: 'a2' });
    const sas = await loadCredentials({
      env: { ...env, AZURE_STORAGE_CONNECTION_STRING: '', AZURE_STORAGE_KEY: '' },
    });
    assert.deepEqual(sas.azure, { sasToken: 'sv=x&sig=s', accountName: 'a2' });
    assert.ok(secretValues(sas).includes('sv=x&sig=s'));
    assert.ok(secretValues(key).includes('k2'));
    assert.ok(secretValues(all).includes('AccountName=a1;AccountKey=k1'));
    assert.equal((await loadCredentials({ env: { HOME: dir } })).azure, undefined);
  });

  it('reads azure: from the credentials file, and names the keys (never the values) when it is malformed', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'azure:\n  accountName: acct\n  accountKey: s3cr3t-key\n');
    await chmod(file, 0o600);
    const c = await loadCredentials({ file, env: {} });
    assert.deepEqual(c.azure, { accountName: 'acct', accountKey: 's3cr3t-key' });
    assert.equal(c.origin.azure, file);
    await writeFile(file, 'azure:\n  accountName: acct\n  acountKey: s3cr3t-key\n');
    await assert.rejects(loadCredentials({ file, env: {} }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /malformed at: azure/);
      assert.match(e.fix ?? '', /azure: \{connectionString \| accountName, accountKey \| sasToken\}/);
      assert.ok(!e.message.includes('s3cr3t'));
      return true;
    });
  });
});
