#!/usr/bin/env node
// The CLI is written in TypeScript and run through tsx. It needs Node >= 22 (node:sqlite, fetch,
// stable test runner); `npm install` brings Node 24 into node_modules/.bin, which npx and npm
// scripts put first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `ossmigrate needs Node.js >= 22.12 (this is ${process.version}).\n` +
      'Fix: run it through npm (`npx ossmigrate ...` or `npm run ...` in the checkout after `npm install`), ' +
      'which uses the Node 24 that the project installs, or install Node 24 LTS.\n',
  );
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('../runner/cli/main.ts');
