// A Redis password stored in plaintext (`pulumi config set` without --secret) stops the program
// before any resource is registered, naming the key and the --secret fix. Pulumi.yaml cannot
// declare it secret: a secret key may not carry the default an optional key needs.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { installMocks, loadProgram } from './harness.ts';

const PASSWORD = 'Plain-Pass-123';

it('refuses ossmigrate:redisPassword in plaintext with the pulumi config set --secret fix', async () => {
  const h = installMocks(
    {
      destBucket: 'media-dest',
      dataTB: '500',
      days: '7',
      cosBucket: 'media-1250000000',
      cosRegion: 'ap-guangzhou',
      cosSecretId: 'AKIDcosId',
      cosSecretKey: 'CosSecretKey789',
      redisPassword: PASSWORD,
    },
    // The COS keys are encrypted, the password is not.
    ['cosSecretId', 'cosSecretKey'],
  );
  await assert.rejects(loadProgram(), (err: Error) => {
    assert.equal(err.name, 'ConfigError');
    assert.match(
      err.message,
      /ossmigrate:redisPassword is stored in plaintext .* — pulumi config set --secret ossmigrate:redisPassword /,
    );
    assert.doesNotMatch(err.message, /cosSecret/, 'the encrypted keys are fine');
    assert.ok(!err.message.includes(PASSWORD), 'the error does not repeat the password');
    return true;
  });
  await h.settle();
  assert.equal(h.resources.length, 0);
});
