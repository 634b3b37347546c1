import { randomBytes } from 'node:crypto';
import { readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Cgroup, Cgroups } from '@kolejka/observer';
import { emptyStats, mergeStats, noopLogger, type Logger, type Stats } from '@kolejka/spec';
import { taskFigures, type FigureLimits } from './task-figures.js';

/** Docker's cgroup driver: cgroupfs takes a cgroup path as parent, systemd a slice name. */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/** The top cgroup under which every task's own parent cgroup is made (cgroupfs driver). */
export const WORKER_CGROUP_ROOT = '/kolejka-worker';

/** The name of a task's parent cgroup, from its container's name. */
export function taskCgroupName(containerName: string): string {
  return containerName.replace(/^kolejka-worker-/, '');
}

/**
 * A per-task parent cgroup for the container (`HostConfig.CgroupParent`). The container's
 * own cgroup vanishes when it exits; the parent's hierarchical counters (cpuacct usage,
 * memory and pids peaks) survive it and are read at the exit, before the parent goes.
 * What is not hierarchical (failure counters, v1 OOM kills) is sampled from the
 * container's cgroup while it runs: Docker removes that cgroup before its wait returns,
 * so a task that fails at once is judged by the parent's peaks (see taskFigures). The
 * parent is removed afterwards.
 */
export class TaskCgroup {
  readonly dockerParent: string;
  readonly path: string;
  private readonly parent: Cgroup;
  private sampled: Stats = emptyStats();
  private sampledOomKills = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private child: Cgroup | undefined;
  private making: Promise<void> | undefined;

  private constructor(
    private readonly cgroups: Cgroups,
    private readonly driver: CgroupDriver,
    name: string,
    private readonly logger: Logger,
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
  ): TaskCgroup {
    return new TaskCgroup(cgroups, driver, name, logger);
  }

  /** Makes the parent cgroup (cgroupfs; systemd makes its slices itself). Once. */
  make(): Promise<void> {
    this.making ??=
      this.driver === 'cgroupfs'
        ? this.cgroups.create(this.path).then(() => undefined)
        : Promise.resolve();
    return this.making;
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
      const [stats, oomKills] = await Promise.all([child.readStats(), child.readOomKills()]);
      this.sampled = mergeStats(this.sampled, stats);
      this.sampledOomKills = Math.max(this.sampledOomKills, oomKills);
    } catch {
      // The container's cgroup goes away when it exits; the parent has the final figures.
    }
  }

  /**
   * Stops sampling, takes a last sample if the cgroup is still there, reads the parent;
   * the figures are the task's own, bounded by its limits (see taskFigures).
   */
  async finish(limits: FigureLimits = {}): Promise<{ stats: Stats; oomKills: number }> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // The last sample of the container's cgroup (if still there) and the parent's final
    // figures are independent reads: side by side.
    const [, parent] = await Promise.all([
      this.sampling?.then(() => this.sample()) ?? this.sample(),
      Promise.all([this.parent.readStats(), this.parent.readOomKills().catch(() => 0)]).catch(
        (error: unknown) => {
          this.logger.warn('cannot read the task cgroup', {
            path: this.path,
            error: (error as Error).message,
          });
          return undefined;
        },
      ),
    ]);
    if (parent === undefined)
      return {
        stats: taskFigures(this.sampled, undefined, limits),
        oomKills: this.sampledOomKills,
      };
    const [final, parentOomKills] = parent;
    return {
      stats: taskFigures(this.sampled, final, limits),
      oomKills: Math.max(this.sampledOomKills, parentOomKills),
    };
  }

  /**
   * Removes the parent cgroup (after the container is removed). On v1 Docker also made it
   * in hierarchies the observer library does not manage (cpu, devices, …): those go too.
   */
  async remove(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.driver === 'systemd') return; // systemd owns and collects its slices
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
}
