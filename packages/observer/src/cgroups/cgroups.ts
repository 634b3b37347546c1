import type { Limits, Logger, Stats } from '@kolejka/spec';
import type { MemoryEvents } from './memory-events.js';

/**
 * One interface over cgroup v1 and v2 (the contract the worker and the observer daemon
 * code against). Paths are cgroup paths as in /proc/<pid>/cgroup: absolute within the
 * hierarchy, starting with "/" (for example "/docker/3f2a…" or "/kolejka/task-1/session-2").
 * On v1 one path names the same cgroup in every controller Kolejka uses (memory, cpuacct,
 * cpuset, pids, freezer, perf_event, blkio); on v2 it names one node of the unified tree.
 */
export type CgroupVersion = 'v1' | 'v2';

export interface CgroupsOptions {
  /** Where the hierarchies are mounted. Default "/sys/fs/cgroup"; tests point it at fixture directories. */
  root?: string;
  /** Force a version instead of detecting it from the mounts under `root`. */
  version?: CgroupVersion;
  /** Where /proc is (to read /proc/<pid>/cgroup). Default "/proc". */
  procRoot?: string;
  logger?: Logger;
  /** How long `freeze()` waits for the kernel to report the cgroup frozen. Default 5000 ms. */
  freezeTimeoutMs?: number;
  /** How long `killAll()` and `remove()` wait for killed processes to leave. Default 10000 ms. */
  killTimeoutMs?: number;
  /** USER_HZ for v1 cpuacct.stat. Default: `getconf CLK_TCK`, read once (100 when that fails). */
  clockTicksPerSecond?: number;
}

export interface CgroupCreateOptions {
  /**
   * v2: controllers to enable for the new cgroup's children (written to its parent's
   * cgroup.subtree_control on the way down). Default: cpu, cpuset, memory, pids.
   */
  controllers?: string[];
}

export interface Cgroups {
  readonly version: CgroupVersion;
  readonly root: string;
  /** The cgroup a process is in now (v1: its memory controller's path; v2: the unified path). */
  pathOfPid(pid: number): Promise<string>;
  /** A handle on a cgroup path; does no I/O and does not create anything. */
  open(path: string): Cgroup;
  /**
   * Creates the cgroup (and missing parents) and returns its handle; idempotent. v1: copies
   * cpuset.cpus/cpuset.mems from the parent. v2: enables controllers on the way down; a
   * parent that has processes of its own cannot enable controllers for its children (the
   * "no internal processes" rule) and yields a KOLEJKA_CONFLICT error that says so.
   */
  create(path: string, options?: CgroupCreateOptions): Promise<Cgroup>;
  /** CPU indexes available at `path` (its effective cpuset), sorted. */
  availableCpus(path: string): Promise<number[]>;
}

export interface Cgroup {
  readonly path: string;
  exists(): Promise<boolean>;
  /**
   * Applies limits: memory (v1 memory.limit_in_bytes, v2 memory.max), swap together with
   * memory (v1 memsw = memory + swap, v2 memory.swap.max = swap), cpus as a cpuset of
   * `cpus` consecutive available CPUs starting at `cpus_offset` (wrapping), pids (pids.max).
   * Other fields are ignored here (time is enforced by callers).
   */
  setLimits(limits: Limits): Promise<void>;
  /**
   * Whether the kernel accounts swap here, so that a swap limit can be set and holds: v1
   * memory.memsw.limit_in_bytes, v2 memory.swap.max (neither exists without swap
   * accounting, e.g. `swapaccount=0` or a kernel built without it; v2 also not in the root).
   */
  hasSwapAccounting(): Promise<boolean>;
  /**
   * Current stats in @kolejka/spec's shape: cpu {usage, user, system}, cpus {"i": {usage}}
   * where the kernel reports per-CPU usage (v1 cpuacct.usage_percpu), memory {usage,
   * max_usage (v2: memory.peak when the kernel has it), swap, max_swap, failures (the
   * cgroup's own: v2 memory.events.local "max")}, pids
   * {usage, max_usage where available, failures}. Missing files leave fields out.
   */
  readStats(): Promise<Stats>;
  /**
   * OOM kills charged to this cgroup itself: v1 memory.oom_control oom_kill; v2 the larger of
   * memory.events.local "oom" (its own limit ran the OOM killer) and "oom_kill" (a process of
   * its own was killed), so a nested session's OOM kill does not count for its parent.
   */
  readOomKills(): Promise<number>;
  /**
   * The memory events of this cgroup itself and of its subtree (see `MemoryEvents`);
   * undefined when it has none to show (v2: no memory.events, the cgroup is gone or has no
   * memory controller).
   */
  readMemoryEvents(): Promise<MemoryEvents | undefined>;
  /** Pids in this cgroup, and in its descendants when `recursive`. */
  listPids(recursive?: boolean): Promise<number[]>;
  /** Moves a process (all its threads) here: v1 cgroup.procs of every controller, v2 cgroup.procs. */
  movePid(pid: number): Promise<void>;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Freezes, SIGKILLs every process in the subtree, thaws; returns when they are gone. */
  killAll(): Promise<void>;
  /** Kills what is left, moves nothing, removes the cgroup and its descendants (deepest first). Idempotent. */
  remove(): Promise<void>;
}

/** Detects the cgroup version under `options.root` (default /sys/fs/cgroup) and returns the library. */
export type DetectCgroups = (options?: CgroupsOptions) => Promise<Cgroups>;
