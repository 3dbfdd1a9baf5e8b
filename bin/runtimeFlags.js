// V8 flags the runner is meant to run with, shared by bin/ossmigrate.js and the fleet's systemd
// unit (infra/userData.ts). --max-semi-space-size=16 caps the young generation at ~48 MiB: by
// default V8 lets it grow to 128 MiB+ during a large listing (measured: a 1,000,000-object scan
// peaked at 300+ MiB RSS with 19 MiB of old generation), and with 16 MiB the scan peaks near
// 230 MiB at the same CPU time (`npm run bench -- --only listing`).
export const RUNTIME_FLAGS = ['--max-semi-space-size=16'];
