/** Counters of the kernel's memory events (v2 memory.events; v1 has their equivalents). */
export interface MemoryEventCounts {
  /** Times usage hit the memory limit (v2 "max", v1 memory.failcnt). */
  max: number;
  /** Times the limit made the OOM killer run (v2 "oom"; v1: its oom_kill count). */
  oom: number;
  /** Processes the OOM killer killed (v2 "oom_kill", v1 memory.oom_control oom_kill). */
  oomKill: number;
}

/**
 * A cgroup's memory events, its own and its subtree's. On v2 `memory.events` is
 * hierarchical: a nested session's OOM kill shows in every ancestor, so a task's verdict
 * must come from `own` (`memory.events.local`: "max" and "oom" count where the limit was
 * hit, "oom_kill" where the victim lived). Kernels before 5.2 have no
 * `memory.events.local`: there `own` is the subtree's and `isOwnExact` is false. On v1
 * the counters are per cgroup already: `own` and `subtree` are the same.
 */
export interface MemoryEvents {
  own: MemoryEventCounts;
  subtree: MemoryEventCounts;
  isOwnExact: boolean;
}

export function noMemoryEvents(): MemoryEventCounts {
  return { max: 0, oom: 0, oomKill: 0 };
}

/** The counts of a v2 memory.events(.local) file read as key/value pairs. */
export function memoryEventCounts(values: Map<string, number> | undefined): MemoryEventCounts {
  return {
    max: values?.get('max') ?? 0,
    oom: values?.get('oom') ?? 0,
    oomKill: values?.get('oom_kill') ?? 0,
  };
}

/**
 * OOM events charged to a cgroup's own limit: the OOM killer runs ("oom") for the cgroup
 * whose limit was hit, while "oom_kill" is counted where the victim lived, which may be a
 * leaf below it (the observer's processes leaf) or a session; a kill without an "oom" (the
 * host ran out of memory) still counts, as on v1.
 */
export function ownOomCount(counts: MemoryEventCounts): number {
  return Math.max(counts.oom, counts.oomKill);
}
