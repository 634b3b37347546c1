import {
  mergeStats,
  PEAK_STATS,
  peaksWithoutCounter,
  type PeakStat,
  type Stats,
} from '@kolejka/spec';

/** The limits the task's figures are bounded by. */
export interface FigureLimits {
  memoryBytes?: number;
  pids?: number;
}

/**
 * The task's own figures from what could be read: the container's cgroup (sampled while it
 * ran; Docker removes it before its wait returns) and the per-task parent cgroup (read at
 * the exit, before it goes). The parent's counters are hierarchical, so nothing is lost, but:
 * - its memory peak also counts the cgroups' own bookkeeping (some KiB above the task's
 *   limit, e.g. 268447744 for 268435456): the task's peak is bounded by its limit, which
 *   the kernel enforces on the container's cgroup;
 * - the pids failure counter is not hierarchical on cgroup v1 (nor on v2 before Linux
 *   6.12): it goes with the container's cgroup, and a fork bomb that dies at once is gone
 *   before a sample. When the parent's pids peak (hierarchical) reached the limit but no
 *   failure was read, a fork was refused: failures are reported as 1, a lower bound.
 */
export function taskFigures(
  container: Stats,
  parent: Stats | undefined,
  limits: FigureLimits,
): Stats {
  const stats = parent === undefined ? container : mergeStats(container, parent);
  const memory = { ...stats.memory };
  if (
    limits.memoryBytes !== undefined &&
    memory.max_usage !== undefined &&
    memory.max_usage > limits.memoryBytes
  ) {
    memory.max_usage = limits.memoryBytes;
  }
  const pids = { ...stats.pids };
  if (
    limits.pids !== undefined &&
    (pids.max_usage ?? 0) >= limits.pids &&
    (pids.failures ?? 0) === 0
  ) {
    pids.failures = 1;
  }
  return { ...stats, memory, pids };
}

/** Whether the pids limit refused the task a process or thread. */
export function isPidsLimitHit(stats: Stats): boolean {
  return (stats.pids.failures ?? 0) > 0;
}

/**
 * The task's peaks that are the largest of the samples, not the kernel's counter: those the
 * parent's final reading lacks (cgroup v2 before Linux 5.19 has no memory.peak; pids.peak
 * came in 6.1), or every peak the figures have when that reading failed.
 */
export function sampledPeaks(parent: Stats | undefined, figures: Stats): PeakStat[] {
  if (parent !== undefined) return peaksWithoutCounter(parent);
  const value = (peak: PeakStat): number | undefined =>
    peak === 'memory.max_usage' ? figures.memory.max_usage : figures.pids.max_usage;
  return PEAK_STATS.filter((peak) => value(peak) !== undefined);
}
