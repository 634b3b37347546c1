import { randomBytes } from 'node:crypto';
import { readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Cgroup, Cgroups, MemoryEvents } from '@kolejka/observer';
import {
  emptyStats,
  mergeStats,
  noopLogger,
  type Limits,
  type Logger,
  type PeakStat,
  type Stats,
} from '@kolejka/spec';
import { stopSystemdUnit, type StopUnit } from './systemd-unit.js';
import { sampledPeaks, taskFigures, type FigureLimits } from './task-figures.js';
import { laterMemoryEvents, taskMemoryEvents } from './task-memory-events.js';

/** Docker's cgroup driver: cgroupfs takes a cgroup path as parent, systemd a slice name. */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/** The top cgroup under which every task's own parent cgroup is made (cgroupfs driver). */
export const WORKER_CGROUP_ROOT = '/kolejka-worker';

/** The name of a task's parent cgroup, from its container's name. */
export function taskCgroupName(containerName: string): string {
  return containerName.replace(/^kolejka-worker-/, '');
}

/** What the task cgroup measured once the container is gone. */
export interface TaskCgroupFigures {
  stats: Stats;
  /** OOM kills charged to the task's own limit (its sessions' are not). */
  oomKills: number;
  /**
   * The count is the task's own (cgroup v2 with memory.events.local): Docker's OOMKilled
   * counts the container's subtree there, sessions included, and must not decide alone.
   */
  isOomCountOwn: boolean;
  /** Peaks that are the largest of the samples: the kernel keeps no counter for them here. */
  sampledStats: PeakStat[];
  /**
   * Whether a swap limit holds for the task: the kernel accounts swap in its parent cgroup
   * (v1 memory.memsw.limit_in_bytes, v2 memory.swap.max) and, cgroupfs on v2, the parent's
   * limit was written (see limitSwap). True when the parent could not be read: unknown.
   */
  isSwapLimitable: boolean;
}

/**
 * A per-task parent cgroup for the container (`HostConfig.CgroupParent`). The container's
 * own cgroup vanishes when it exits; the parent's hierarchical counters (cpuacct usage,
 * memory and pids peaks) survive it and are read at the exit, before the parent goes.
 * What is not hierarchical (failure counters, v1 OOM kills) is sampled from the
 * container's cgroup while it runs: Docker removes that cgroup before its wait returns,
 * so a task that fails at once is judged by the parent's peaks (see taskFigures). On v2
 * the task's own memory events are told from its sessions' (see task-memory-events.ts).
 * The parent is removed afterwards (systemd driver: its slice is stopped).
 */
export class TaskCgroup {
  readonly dockerParent: string;
  readonly path: string;
  private readonly parent: Cgroup;
  private sampled: Stats = emptyStats();
  private sampledEvents: MemoryEvents | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private child: Cgroup | undefined;
  private making: Promise<void> | undefined;
  private isSwapLimitFailed = false;

  private constructor(
    private readonly cgroups: Cgroups,
    private readonly driver: CgroupDriver,
    name: string,
    private readonly logger: Logger,
    private readonly stopUnit: StopUnit,
  ) {
    if (driver === 'systemd') {
      // systemd nests slices by the dashes of their names: kolejka.slice/kolejka-<x>.slice.
      const slice = `kolejka-${name.replace(/[^a-zA-Z0-9]/g, '')}.slice`;
      this.dockerParent = slice;
      this.path = `/kolejka.slice/${slice}`;
    } else {
      this.path = `${WORKER_CGROUP_ROOT}/${name}`;
      this.dockerParent = this.path;
    }
    this.parent = cgroups.open(this.path);
  }

  /** Names the parent cgroup; `make()` makes it (Docker needs it only at the start). */
  static plan(
    cgroups: Cgroups,
    driver: CgroupDriver,
    name = randomBytes(8).toString('hex'),
    logger: Logger = noopLogger,
    stopUnit: StopUnit = stopSystemdUnit,
  ): TaskCgroup {
    return new TaskCgroup(cgroups, driver, name, logger, stopUnit);
  }

  /** Makes the parent cgroup (cgroupfs; systemd makes its slices itself). Once. */
  make(limits: Limits = {}): Promise<void> {
    this.making ??=
      this.driver === 'cgroupfs'
        ? this.cgroups.create(this.path).then(() => this.limitSwap(limits))
        : Promise.resolve();
    return this.making;
  }

  /**
   * cgroup v2, cgroupfs driver: a dockerd without systemd ignores MemorySwap ("kernel does
   * not support swap limit") and leaves the container's memory.swap.max at "max", so the
   * parent gets the task's swap limit itself (memory.swap.max is hierarchical). Where the
   * kernel has no swap accounting the limit cannot be enforced: said in the log and, through
   * finish(), in the result.
   */
  private async limitSwap(limits: Limits): Promise<void> {
    if (this.cgroups.version !== 'v2' || limits.memory === undefined) return;
    try {
      await this.parent.setLimits({ memory: limits.memory, swap: limits.swap ?? 0 });
    } catch (error) {
      this.isSwapLimitFailed = true;
      this.logger.warn('the swap limit is not enforced: the task cgroup has no memory.swap.max', {
        path: this.path,
        error: (error as Error).message,
      });
    }
  }

  /** The container's own cgroup path. */
  containerPath(containerId: string): string {
    return this.driver === 'systemd'
      ? `${this.path}/docker-${containerId}.scope`
      : `${this.path}/${containerId}`;
  }

  /** Starts sampling the container's cgroup every `intervalMs` until `finish()`. */
  startSampling(containerId: string, intervalMs: number): void {
    this.child = this.cgroups.open(this.containerPath(containerId));
    const tick = (): void => {
      this.sampling = this.sample().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
      });
    };
    // The first sample at once: a short task may be gone before the next, and in a new
    // process the first read pays one-off costs (the cgroup library probes the clock tick
    // with `getconf`), better paid while the container runs than after it stopped.
    this.timer = setTimeout(tick, 0);
  }

  private async sample(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    try {
      const [stats, events] = await Promise.all([child.readStats(), this.readEvents(child)]);
      this.sampled = mergeStats(this.sampled, stats);
      this.sampledEvents = laterMemoryEvents(this.sampledEvents, events);
    } catch {
      // The container's cgroup goes away when it exits; the parent has the final figures.
    }
  }

  /**
   * v2: own and subtree events apart. v1's counters are the cgroup's own already and its
   * failures come with readStats: only the OOM kills are read (samples stay as light as
   * they were; the time limit's kill shares the thread pool with them).
   */
  private async readEvents(child: Cgroup): Promise<MemoryEvents | undefined> {
    if (this.cgroups.version === 'v2') return child.readMemoryEvents();
    const oomKill = await child.readOomKills();
    const none = { max: 0, oom: oomKill, oomKill };
    return { own: none, subtree: none, isOwnExact: true };
  }

  /**
   * Stops sampling, takes a last sample if the cgroup is still there, reads the parent;
   * the figures are the task's own, bounded by its limits (see taskFigures), with what the
   * host could not count or limit (sampled peaks, swap).
   */
  async finish(limits: FigureLimits = {}): Promise<TaskCgroupFigures> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // The last sample of the container's cgroup (if still there) and the parent's final
    // figures are independent reads: side by side.
    const [, parent] = await Promise.all([
      this.sampling?.then(() => this.sample()) ?? this.sample(),
      Promise.all([
        this.parent.readStats(),
        this.parent.readMemoryEvents().catch(() => undefined),
        this.parent.hasSwapAccounting(),
      ]).catch((error: unknown) => {
        this.logger.warn('cannot read the task cgroup', {
          path: this.path,
          error: (error as Error).message,
        });
        return undefined;
      }),
    ]);
    const [final, parentEvents, hasSwapAccounting] = parent ?? [undefined, undefined, true];
    const stats = taskFigures(this.sampled, final, limits);
    const own = taskMemoryEvents(this.sampledEvents, parentEvents);
    if (stats.memory.failures !== undefined || own.max > 0) stats.memory.failures = own.max;
    const isOwnExact = (this.sampledEvents ?? parentEvents)?.isOwnExact ?? false;
    return {
      stats,
      oomKills: Math.max(own.oom, own.oomKill),
      isOomCountOwn: this.cgroups.version === 'v2' && isOwnExact,
      sampledStats: sampledPeaks(final, stats),
      isSwapLimitable: hasSwapAccounting && !this.isSwapLimitFailed,
    };
  }

  /**
   * Removes the parent cgroup (after the container is removed). On v1 Docker also made it
   * in hierarchies the observer library does not manage (cpu, devices, …): those go too.
   */
  async remove(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.driver === 'systemd') {
      await this.stopSlice();
      return;
    }
    // A make() still in flight would recreate what is removed here: let it finish first.
    await this.making?.catch(() => undefined);
    try {
      await this.parent.remove();
    } catch (error) {
      this.logger.warn('cannot remove the task cgroup', {
        path: this.path,
        error: (error as Error).message,
      });
    }
    if (this.cgroups.version !== 'v1') return;
    const hierarchies = await readdir(this.cgroups.root).catch(() => [] as string[]);
    await Promise.all(
      hierarchies.map((hierarchy) =>
        rmdir(path.join(this.cgroups.root, hierarchy, this.path)).catch(() => undefined),
      ),
    );
  }

  /** systemd made the slice for the container's scope and keeps it until it is stopped. */
  private async stopSlice(): Promise<void> {
    try {
      await this.stopUnit(this.dockerParent);
    } catch (error) {
      this.logger.warn('cannot stop the task slice', {
        slice: this.dockerParent,
        error: (error as Error).message,
      });
    }
  }
}
