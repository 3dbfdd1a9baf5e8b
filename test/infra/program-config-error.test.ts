// A bad stack config stops the program before any resource is registered, with the key and the fix.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { installMocks, loadProgram } from './harness.ts';

it('rejects an operator CIDR of 0.0.0.0/0 and a missing deadline, listing both', async () => {
  const h = installMocks({ destBucket: 'media-dest', dataTB: '500', operatorCidr: '0.0.0.0/0' });
  await assert.rejects(loadProgram(), (err: Error) => {
    assert.equal(err.name, 'ConfigError');
    assert.match(err.message, /ossmigrate:operatorCidr opens SSH to the whole internet/);
    assert.match(
      err.message,
      /ossmigrate:days is required to size the fleet — pulumi config set ossmigrate:days 7/,
    );
    return true;
  });
  await h.settle();
  assert.equal(h.resources.length, 0);
});
