import { execFileSync } from 'node:child_process';

let cached: number | undefined;

/** USER_HZ (the unit of v1 cpuacct.stat), from `getconf CLK_TCK`, read once; 100 if unknown. */
export function clockTicksPerSecond(): number {
  if (cached !== undefined) return cached;
  let ticks = 100;
  try {
    const value = Number(
      execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim(),
    );
    if (Number.isInteger(value) && value > 0) ticks = value;
  } catch {
    // No getconf: 100 is what Linux uses on every architecture Kolejka runs on.
  }
  cached = ticks;
  return ticks;
}
