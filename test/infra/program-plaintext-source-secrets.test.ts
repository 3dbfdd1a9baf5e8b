// The source keys have "" defaults in Pulumi.yaml (only the chosen type's are required), so the
// schema cannot mark them secret: the program refuses each one stored in plaintext — the S3 and
// Azure keys, and the COS keys as before — even a leftover of another source type, and lists a
// missing key of the chosen type in the same run. Nothing is registered.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { installMocks, loadProgram } from './harness.ts';

const VALUES = {
  s3SecretAccessKey: 'Plain/S3+Secret',
  azureKey: 'PlainAzureKey==',
  cosSecretKey: 'PlainCosKey',
};

it('refuses s3SecretAccessKey, azureKey and cosSecretKey in plaintext, and names a missing s3Bucket', async () => {
  const h = installMocks(
    {
      destBucket: 'media-dest',
      fleetSize: '0',
      sourceType: 's3',
      s3Region: 'us-west-2',
      s3AccessKeyId: 'AKIAS3ID',
      ...VALUES,
      cosSecretId: 'AKIDcosId',
    },
    // Only the COS id is encrypted.
    ['cosSecretId'],
  );
  await assert.rejects(loadProgram(), (err: Error & { problems?: string[] }) => {
    assert.equal(err.name, 'ConfigError');
    for (const key of Object.keys(VALUES))
      assert.ok(
        err.problems?.includes(
          `ossmigrate:${key} is stored in plaintext in the stack's config file; it must be a secret — ` +
            `pulumi config set --secret ossmigrate:${key} (it prompts; the encrypted value replaces the plaintext one)`,
        ),
        `${key}: ${err.message}`,
      );
    assert.ok(
      err.problems?.some((p) =>
        p.startsWith(
          'ossmigrate:s3Bucket is required when ossmigrate:sourceType is s3 (the source bucket) — pulumi config set ossmigrate:s3Bucket',
        ),
      ),
      err.message,
    );
    assert.doesNotMatch(
      err.message,
      /cosSecretId|s3AccessKeyId/,
      'the encrypted id and a non-secret key are fine',
    );
    for (const v of [...Object.values(VALUES), 'AKIDcosId'])
      assert.ok(!err.message.includes(v), `the error does not repeat ${v}`);
    return true;
  });
  await h.settle();
  assert.equal(h.resources.length, 0);
});
