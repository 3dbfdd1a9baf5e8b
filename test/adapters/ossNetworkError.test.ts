/** A network failure reaches the user as its first clause, not urllib's socket-agent dump. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { networkMessage, OssStore } from '../../runner/adapters/oss/ossStore.ts';
import { MigrationError } from '../../runner/core/errors.ts';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

it('an unreachable OSS endpoint: NETWORK, with the connection error and nothing of urllib internals', async () => {
  const port = await closedPort();
  const store = new OssStore({
    bucket: 'demo-dst',
    region: 'cn-hangzhou',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'a', accessKeySecret: 'b' },
  });
  const err = await store.probe().then(
    () => assert.fail('the probe of a closed port succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof MigrationError);
  assert.equal(err.failureClass, 'NETWORK');
  assert.match(err.message, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}$`));
  assert.doesNotMatch(err.message, /agent status|connected:|headers:/);
});

it('networkMessage keeps messages without the urllib suffix as they are', () => {
  assert.equal(networkMessage('socket hang up'), 'socket hang up');
  assert.equal(
    networkMessage('connect ECONNREFUSED 1.2.3.4:80, GET http://x/?a= -1 (connected: false, …)\nheaders: {}'),
    'connect ECONNREFUSED 1.2.3.4:80',
  );
});
