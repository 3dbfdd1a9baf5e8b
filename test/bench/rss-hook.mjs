// Preloaded into benchmark child processes: report peak RSS (KiB) and CPU time (µs) at exit.
// Peak RSS comes from VmHWM in /proc/self/status: it belongs to this address space. The
// rusage maxRSS survives execve on Linux, so it would report the parent's high-water mark
// (the benchmark process holds the emulators' data) whenever that is larger.
import { readFileSync, writeSync } from 'node:fs';

function peakKiB() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(2, `\nOSSMIGRATE_BENCH_USAGE ${peakKiB()} ${u.userCPUTime + u.systemCPUTime}\n`);
});
