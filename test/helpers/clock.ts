/**
 * T1 is a job's start on a whole second, and an object modified in that second counts as
 * "modified after T1" (deferred). Stores that cannot backdate an object (s3rver, Azurite, a file
 * just written) must let the second of their last write pass before a job starts.
 */
export async function afterTheSecondOf(ms: number): Promise<void> {
  const wait = Math.floor(ms / 1000) * 1000 + 1000 + 20 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
