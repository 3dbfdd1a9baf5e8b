// Preloaded into benchmark child processes: report peak RSS (KiB) and CPU time (µs) at exit.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  writeSync(2, `\nOSSMIGRATE_BENCH_USAGE ${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}\n`);
});
