// V8 flags the runner is meant to run with, shared by bin/ossmigrate.js (its shebang line must
// list the same, test/e2e/launcher.test.ts checks) and the fleet's systemd
// unit (infra/userData.ts). --max-semi-space-size=1 keeps the young generation at 1 MiB
// semi-spaces. Memory: by default V8 lets it grow to 128 MiB+ during a large listing (a
// 1,000,000-object scan peaked at 300+ MiB RSS; 8 MiB semi-spaces: 225-247 MiB). CPU: a socket
// read allocates a 64 KiB buffer outside the JS heap, so a large copy makes ~1 KiB of JS garbage
// per 64 KiB of buffers; with 8 MiB semi-spaces the buffers piled up past V8's external-memory
// limit between scavenges and each 64 MB of them cost a full mark-compact of the ~25 MB heap
// (26 per 8 × 64 MiB import; 1 with 1 MiB semi-spaces, 84 scavenges instead), which was the
// largest frame of a large copy's profile once the client stopped hashing (issue #16).
// --initial-old-space-size=64 is a floor under the old generation's allocation limit. With an
// ~18 MB heap V8 sets the limit ~9 MB above it, and the socket buffers in flight count against
// that slack: 16 streaming PUTs (~5 MB held in stream buffers, plus the young buffers awaiting a
// scavenge) started marking again right after each mark-compact, 40+ per 16 × 64 MiB import
// (trace: "Start (allocation limit)" at 18 of 27 MB), ~4 CPU-s/GB marginal; with the floor, 3.
// Costs at most ~45 MB more heap before the first full GC; a large listing is above it anyway.
export const RUNTIME_FLAGS = ['--max-semi-space-size=1', '--initial-old-space-size=64'];
