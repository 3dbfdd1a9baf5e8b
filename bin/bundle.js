// Which CLI bin/ossmigrate.js runs: the prebuilt bundle (npm install's prepare → dist/cli/)
// while every source file it was built from is unchanged, or null to run the sources via tsx.
// A stale or missing bundle is not an error: a checkout with edited sources (or installed with
// --ignore-scripts) runs what is on disk, as `npm test` does; `npm run build` makes starts fast again.
// process.getBuiltinModule, not import: an ESM import of node:fs builds its facade, which reads
// every export (fs.promises and the stream classes load with it): ~5 CPU-ms of every start.
const { readFileSync, statSync } = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');

/** Absolute path of dist/cli's entry under `root` when it matches the sources, else null. */
export function freshBundle(root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'dist/cli/manifest.json'), 'utf8'));
  } catch {
    return null;
  }
  const inputs = Object.entries(manifest?.inputs ?? {});
  if (typeof manifest?.entry !== 'string' || inputs.length === 0) return null;
  for (const [path, was] of inputs) {
    const st = statSync(join(root, path), { throwIfNoEntry: false });
    if (!st || st.size !== was.size || st.mtimeMs !== was.mtimeMs) return null;
  }
  const entry = join(root, 'dist/cli', manifest.entry);
  return statSync(entry, { throwIfNoEntry: false }) ? entry : null;
}
