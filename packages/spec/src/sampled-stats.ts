import type { Stats } from './stats.js';

/** The peak stats a kernel may not count, by their dotted names in a result's `stats`. */
export const PEAK_STATS = ['memory.max_usage', 'pids.max_usage'] as const;
export type PeakStat = (typeof PEAK_STATS)[number];

/**
 * The peaks a cgroup reading lacks although it has the current value: the kernel keeps no
 * peak counter for them (cgroup v2 has memory.peak since Linux 5.19; pids.peak came in 6.1,
 * on v1 and v2), so their maximum is the largest of the readings taken (sampled), and a
 * spike shorter than the sampling interval can be missed. v1's memory.max_usage_in_bytes
 * is always there.
 */
export function peaksWithoutCounter(reading: Stats): PeakStat[] {
  const peaks: PeakStat[] = [];
  if (reading.memory.max_usage === undefined && reading.memory.usage !== undefined)
    peaks.push('memory.max_usage');
  if (reading.pids.max_usage === undefined && reading.pids.usage !== undefined)
    peaks.push('pids.max_usage');
  return peaks;
}
