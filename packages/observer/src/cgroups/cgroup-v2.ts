import { stat } from 'node:fs/promises';
import path from 'node:path';
import { emptyStats, KolejkaError, type Limits, type Stats } from '@kolejka/spec';
import type { Cgroup, Cgroups } from './cgroups.js';
import {
  cgroupDir,
  descendantDirs,
  errnoOf,
  fileExists,
  parentCgroupPath,
  readKeyValues,
  readNumber,
  readPids,
  removeDir,
  writeText,
} from './cgroup-fs.js';
import { formatCpuList, pickCpus } from './cpu-list.js';
import { killByFreezing } from './kill-all.js';
import { memoryEventCounts, ownOomCount, type MemoryEvents } from './memory-events.js';
import type { ResolvedCgroupsOptions } from './resolved-options.js';
import { waitUntil } from './wait.js';

/** One node of the unified (v2) tree. */
export class CgroupV2 implements Cgroup {
  readonly path: string;
  readonly #dir: string;
  readonly #options: ResolvedCgroupsOptions;
  readonly #cgroups: Cgroups;

  constructor(cgroupPath: string, options: ResolvedCgroupsOptions, cgroups: Cgroups) {
    this.path = cgroupPath;
    this.#dir = cgroupDir(options.root, cgroupPath);
    this.#options = options;
    this.#cgroups = cgroups;
  }

  #file(name: string): string {
    return path.join(this.#dir, name);
  }

  /** Writes a controller file; a missing file means the controller is not enabled here. */
  async #writeControl(name: string, value: string): Promise<void> {
    try {
      await writeText(this.#file(name), value);
    } catch (error) {
      if ((error as KolejkaError).code !== 'KOLEJKA_NOT_FOUND') throw error;
      const controller = name.split('.')[0] ?? name;
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `cgroup ${this.path} has no ${name}: the ${controller} controller is not enabled for it (check the parent's cgroup.subtree_control)`,
        { cause: error },
      );
    }
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.#dir)).isDirectory();
    } catch {
      return false;
    }
  }

  async setLimits(limits: Limits): Promise<void> {
    if (limits.memory !== undefined) {
      await this.#writeControl('memory.max', String(limits.memory));
      if (limits.swap !== undefined) {
        await this.#writeControl('memory.swap.max', String(limits.swap));
      }
    }
    if (limits.cpus !== undefined) {
      const available = await this.#cgroups.availableCpus(parentCgroupPath(this.path));
      const cpus = pickCpus(available, limits.cpus, limits.cpus_offset ?? 0);
      await this.#writeControl('cpuset.cpus', formatCpuList(cpus));
    }
    if (limits.pids !== undefined) {
      await this.#writeControl('pids.max', String(limits.pids));
    }
  }

  hasSwapAccounting(): Promise<boolean> {
    return fileExists(this.#file('memory.swap.max'));
  }

  async readStats(): Promise<Stats> {
    const stats = emptyStats();
    const cpu = await readKeyValues(this.#file('cpu.stat'));
    const usageUs = cpu?.get('usage_usec');
    const userUs = cpu?.get('user_usec');
    const systemUs = cpu?.get('system_usec');
    if (usageUs !== undefined) stats.cpu.usage = usageUs / 1e6;
    if (userUs !== undefined) stats.cpu.user = userUs / 1e6;
    if (systemUs !== undefined) stats.cpu.system = systemUs / 1e6;

    const finite = (value: number | undefined): number | undefined =>
      value === undefined || !Number.isFinite(value) ? undefined : value;
    const usage = finite(await readNumber(this.#file('memory.current')));
    const peak = finite(await readNumber(this.#file('memory.peak')));
    const swap = finite(await readNumber(this.#file('memory.swap.current')));
    const swapPeak = finite(await readNumber(this.#file('memory.swap.peak')));
    // The cgroup's own events: memory.events counts the subtree (nested sessions included).
    const memoryEvents =
      (await readKeyValues(this.#file('memory.events.local'))) ??
      (await readKeyValues(this.#file('memory.events')));
    if (usage !== undefined) stats.memory.usage = usage;
    if (peak !== undefined) stats.memory.max_usage = peak;
    if (swap !== undefined) stats.memory.swap = swap;
    if (swapPeak !== undefined) stats.memory.max_swap = swapPeak;
    // "max": how often usage hit memory.max, as v1's failcnt counts.
    const failures = memoryEvents?.get('max');
    if (failures !== undefined) stats.memory.failures = failures;

    const current = finite(await readNumber(this.#file('pids.current')));
    const pidsPeak = finite(await readNumber(this.#file('pids.peak')));
    const pidsEvents = await readKeyValues(this.#file('pids.events'));
    if (current !== undefined) stats.pids.usage = current;
    if (pidsPeak !== undefined) stats.pids.max_usage = pidsPeak;
    const refused = pidsEvents?.get('max');
    if (refused !== undefined) stats.pids.failures = refused;
    return stats;
  }

  async readOomKills(): Promise<number> {
    const events = await this.readMemoryEvents();
    return events === undefined ? 0 : ownOomCount(events.own);
  }

  async readMemoryEvents(): Promise<MemoryEvents | undefined> {
    const all = await readKeyValues(this.#file('memory.events'));
    if (all === undefined) return undefined;
    const subtree = memoryEventCounts(all);
    const local = await readKeyValues(this.#file('memory.events.local'));
    if (local === undefined) return { own: subtree, subtree, isOwnExact: false };
    return { own: memoryEventCounts(local), subtree, isOwnExact: true };
  }

  async listPids(recursive = false): Promise<number[]> {
    const dirs = recursive ? [this.#dir, ...(await descendantDirs(this.#dir))] : [this.#dir];
    const pids = new Set<number>();
    for (const dir of dirs) {
      for (const pid of await readPids(path.join(dir, 'cgroup.procs'))) pids.add(pid);
    }
    return [...pids].sort((a, b) => a - b);
  }

  async movePid(pid: number): Promise<void> {
    try {
      await writeText(this.#file('cgroup.procs'), String(pid));
    } catch (error) {
      const errno = errnoOf((error as KolejkaError).cause);
      if (errno === 'ESRCH') {
        throw new KolejkaError('KOLEJKA_NOT_FOUND', `process ${pid} does not exist`, {
          cause: error,
        });
      }
      if (errno === 'EBUSY' || errno === 'EOPNOTSUPP') {
        throw new KolejkaError(
          'KOLEJKA_CONFLICT',
          `cannot move process ${pid} into cgroup ${this.path}: it enables controllers for its children, so it may not hold processes (cgroup v2 "no internal processes" rule)`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async freeze(): Promise<void> {
    await this.#writeControl('cgroup.freeze', '1');
    try {
      await waitUntil(
        async () => (await readKeyValues(this.#file('cgroup.events')))?.get('frozen') === 1,
        {
          timeoutMs: this.#options.freezeTimeoutMs,
          what: `cgroup ${this.path} is frozen (cgroup.events "frozen 1")`,
        },
      );
    } catch (error) {
      await writeText(this.#file('cgroup.freeze'), '0').catch(() => undefined);
      throw error;
    }
  }

  async thaw(): Promise<void> {
    await this.#writeControl('cgroup.freeze', '0');
  }

  async killAll(): Promise<void> {
    // cgroup.kill (Linux 5.14+) kills the whole subtree atomically, forks included.
    if (await fileExists(this.#file('cgroup.kill'))) {
      if ((await this.listPids(true)).length === 0) return;
      await writeText(this.#file('cgroup.kill'), '1');
      await waitUntil(async () => (await this.listPids(true)).length === 0, {
        timeoutMs: this.#options.killTimeoutMs,
        what: `every process of cgroup ${this.path} is gone after cgroup.kill`,
      });
      return;
    }
    await killByFreezing(this, {
      timeoutMs: this.#options.killTimeoutMs,
      canFreeze: await fileExists(this.#file('cgroup.freeze')),
      logger: this.#options.logger,
    });
  }

  async remove(): Promise<void> {
    if (this.path === '/') {
      throw new KolejkaError('KOLEJKA_VALIDATION', 'refusing to remove the root cgroup');
    }
    if (!(await this.exists())) return;
    await this.killAll();
    for (const dir of [...(await descendantDirs(this.#dir)), this.#dir]) await removeDir(dir);
    this.#options.logger.debug('cgroup removed', { path: this.path, version: 'v2' });
  }
}
