/**
 * Preloaded into the test processes (package.json "test", `--import`). With --test-force-exit a
 * test file's process exits the moment its last test ends, and on Linux the report frames still
 * queued on its non-blocking stdout pipe are lost: the runner then counts fewer tests than ran
 * and exits 0, and a lost failure shows only as its file failing (nodejs/node#64833). Seen here: a
 * clean-clone run reported 1,077 of 1,103 tests, the tail of test/infra/config.test.ts missing.
 * A blocking pipe makes every frame reach the runner before the exit. Only a test file's own
 * process (the runner's child), never a CLI a test spawns with the same flags.
 */
const file = process.argv[1] ?? '';
if (process.env.NODE_TEST_CONTEXT === 'child-v8' && /\.test\.tsx?$/.test(file)) {
  const handle = (process.stdout as unknown as { _handle?: { setBlocking?: (on: boolean) => number } })
    ._handle;
  handle?.setBlocking?.(true);
}
