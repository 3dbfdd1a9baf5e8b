// V8 flags the runner is meant to run with, shared by bin/ossmigrate.js and the fleet's systemd
// unit (infra/userData.ts). --max-semi-space-size=8 caps the young generation at ~24 MiB: by
// default V8 lets it grow to 128 MiB+ during a large listing (measured: a 1,000,000-object scan
// peaked at 300+ MiB RSS with 19 MiB of old generation). With 16 the scan peaked at 250-260 MiB,
// with 8 at 225-247 MiB; small-object CPU showed no difference outside the noise
// (`npm run bench -- --only listing,limit`).
export const RUNTIME_FLAGS = ['--max-semi-space-size=8'];
