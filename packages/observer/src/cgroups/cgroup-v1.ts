import { stat } from 'node:fs/promises';
import path from 'node:path';
import { emptyStats, KolejkaError, type Limits, type Stats } from '@kolejka/spec';
import type { Cgroup, Cgroups } from './cgroups.js';
import type { V1Controller, V1Mounts } from './v1-mounts.js';
import {
  cgroupDir,
  descendantDirs,
  errnoOf,
  fileExists,
  parentCgroupPath,
  readKeyValues,
  readLine,
  readNumber,
  readPids,
  removeDir,
  writeText,
} from './cgroup-fs.js';
import { clockTicksPerSecond } from './clock-ticks.js';
import { formatCpuList, pickCpus } from './cpu-list.js';
import { killByFreezing } from './kill-all.js';
import type { MemoryEvents } from './memory-events.js';
import type { ResolvedCgroupsOptions } from './resolved-options.js';
import { waitUntil } from './wait.js';

/** One cgroup v1 path, present in every mounted controller's hierarchy. */
export class CgroupV1 implements Cgroup {
  readonly path: string;
  readonly #mounts: V1Mounts;
  readonly #options: ResolvedCgroupsOptions;
  readonly #cgroups: Cgroups;

  constructor(
    cgroupPath: string,
    mounts: V1Mounts,
    options: ResolvedCgroupsOptions,
    cgroups: Cgroups,
  ) {
    this.path = cgroupPath;
    this.#mounts = mounts;
    this.#options = options;
    this.#cgroups = cgroups;
  }

  #dir(controller: V1Controller): string | undefined {
    const mount = this.#mounts.get(controller);
    return mount === undefined ? undefined : cgroupDir(mount, this.path);
  }

  #file(controller: V1Controller, name: string): string | undefined {
    const dir = this.#dir(controller);
    return dir === undefined ? undefined : path.join(dir, name);
  }

  #required(controller: V1Controller, name: string): string {
    const file = this.#file(controller, name);
    if (file === undefined) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `the cgroup v1 ${controller} controller is not mounted under ${this.#options.root}`,
      );
    }
    return file;
  }

  /** The hierarchies that hold processes for listing: pids (the original's choice) first. */
  #listingDir(): string {
    for (const controller of ['pids', 'freezer', 'memory'] as const) {
      const dir = this.#dir(controller);
      if (dir !== undefined) return dir;
    }
    return this.#dir('memory') as string;
  }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.#dir('memory') as string)).isDirectory();
    } catch {
      return false;
    }
  }

  async setLimits(limits: Limits): Promise<void> {
    if (limits.memory !== undefined) {
      const total = limits.swap === undefined ? undefined : limits.memory + limits.swap;
      await this.#setMemory(limits.memory, total);
    }
    if (limits.cpus !== undefined) {
      const available = await this.#cgroups.availableCpus(parentCgroupPath(this.path));
      const cpus = pickCpus(available, limits.cpus, limits.cpus_offset ?? 0);
      await writeText(this.#required('cpuset', 'cpuset.cpus'), formatCpuList(cpus));
    }
    if (limits.pids !== undefined) {
      await writeText(this.#required('pids', 'pids.max'), String(limits.pids));
    }
  }

  /**
   * The kernel keeps memsw.limit ≥ limit at every moment, so the order of the two writes
   * depends on whether limits go up or down: try memory first, and on EINVAL raise memsw first.
   */
  async #setMemory(memoryBytes: number, totalBytes: number | undefined): Promise<void> {
    const memoryFile = this.#required('memory', 'memory.limit_in_bytes');
    const memswFile = this.#required('memory', 'memory.memsw.limit_in_bytes');
    const hasMemsw = (await readLine(memswFile)) !== undefined;
    if (totalBytes !== undefined && !hasMemsw) {
      this.#options.logger.warn('swap accounting is off: swap limit not applied', {
        path: this.path,
      });
    }
    try {
      await writeText(memoryFile, String(memoryBytes));
    } catch (error) {
      if (!hasMemsw || errnoOf((error as KolejkaError).cause) !== 'EINVAL') throw error;
      await writeText(memswFile, totalBytes === undefined ? '-1' : String(totalBytes));
      await writeText(memoryFile, String(memoryBytes));
    }
    if (totalBytes !== undefined && hasMemsw) await writeText(memswFile, String(totalBytes));
  }

  async hasSwapAccounting(): Promise<boolean> {
    const file = this.#file('memory', 'memory.memsw.limit_in_bytes');
    return file !== undefined && (await fileExists(file));
  }

  async readStats(): Promise<Stats> {
    const stats = emptyStats();
    const cpuacct = (name: string): string | undefined => this.#file('cpuacct', name);
    const memory = (name: string): string | undefined => this.#file('memory', name);
    const pids = (name: string): string | undefined => this.#file('pids', name);
    const number = async (file: string | undefined): Promise<number | undefined> =>
      file === undefined ? undefined : readNumber(file);

    const usageNs = await number(cpuacct('cpuacct.usage'));
    if (usageNs !== undefined) stats.cpu.usage = usageNs / 1e9;
    const cpuStat = cpuacct('cpuacct.stat');
    const ticks = cpuStat === undefined ? undefined : await readKeyValues(cpuStat);
    if (ticks !== undefined) {
      const hz = this.#options.clockTicksPerSecond ?? clockTicksPerSecond();
      const user = ticks.get('user');
      const system = ticks.get('system');
      if (user !== undefined) stats.cpu.user = user / hz;
      if (system !== undefined) stats.cpu.system = system / hz;
    }
    const percpuFile = cpuacct('cpuacct.usage_percpu');
    const percpu = percpuFile === undefined ? undefined : await readLine(percpuFile);
    if (percpu !== undefined && percpu !== '') {
      percpu.split(/\s+/).forEach((value, index) => {
        stats.cpus[String(index)] = { usage: Number(value) / 1e9 };
      });
    }

    const usage = await number(memory('memory.usage_in_bytes'));
    const maxUsage = await number(memory('memory.max_usage_in_bytes'));
    const memswUsage = await number(memory('memory.memsw.usage_in_bytes'));
    const memswMax = await number(memory('memory.memsw.max_usage_in_bytes'));
    // With swap limited the kernel charges memsw first, so a hit limit may count only there.
    const failures = maxOf(
      await number(memory('memory.failcnt')),
      await number(memory('memory.memsw.failcnt')),
    );
    if (usage !== undefined) stats.memory.usage = usage;
    if (maxUsage !== undefined) stats.memory.max_usage = maxUsage;
    if (memswUsage !== undefined && usage !== undefined) {
      stats.memory.swap = Math.max(0, memswUsage - usage);
    }
    if (memswMax !== undefined && maxUsage !== undefined) {
      stats.memory.max_swap = Math.max(0, memswMax - maxUsage);
    }
    if (failures !== undefined) stats.memory.failures = failures;

    const current = await number(pids('pids.current'));
    const peak = await number(pids('pids.peak'));
    const eventsFile = pids('pids.events');
    const events = eventsFile === undefined ? undefined : await readKeyValues(eventsFile);
    if (current !== undefined) stats.pids.usage = current;
    if (peak !== undefined) stats.pids.max_usage = peak;
    const refused = events?.get('max');
    if (refused !== undefined) stats.pids.failures = refused;
    return stats;
  }

  async readOomKills(): Promise<number> {
    const control = await readKeyValues(this.#required('memory', 'memory.oom_control'));
    return control?.get('oom_kill') ?? 0;
  }

  async readMemoryEvents(): Promise<MemoryEvents | undefined> {
    // v1 counters are per cgroup already (a child's limit counts in the child only). Only
    // the three files: the worker reads this every 100 ms beside readStats.
    const read = async (name: string): Promise<number | undefined> => {
      const file = this.#file('memory', name);
      return file === undefined ? undefined : readNumber(file);
    };
    const [failcnt, memswFailcnt, oomKill] = await Promise.all([
      read('memory.failcnt'),
      read('memory.memsw.failcnt'),
      this.readOomKills(),
    ]);
    const own = { max: maxOf(failcnt, memswFailcnt) ?? 0, oom: oomKill, oomKill };
    return { own, subtree: own, isOwnExact: true };
  }

  async listPids(recursive = false): Promise<number[]> {
    const dir = this.#listingDir();
    const dirs = recursive ? [dir, ...(await descendantDirs(dir))] : [dir];
    const pids = new Set<number>();
    for (const one of dirs) {
      for (const pid of await readPids(path.join(one, 'cgroup.procs'))) pids.add(pid);
    }
    return [...pids].sort((a, b) => a - b);
  }

  async movePid(pid: number): Promise<void> {
    for (const mount of new Set(this.#mounts.values())) {
      const file = path.join(cgroupDir(mount, this.path), 'cgroup.procs');
      try {
        await writeText(file, String(pid));
      } catch (error) {
        if (errnoOf((error as KolejkaError).cause) === 'ESRCH') {
          throw new KolejkaError('KOLEJKA_NOT_FOUND', `process ${pid} does not exist`, {
            cause: error,
          });
        }
        throw error;
      }
    }
  }

  async freeze(): Promise<void> {
    const file = this.#required('freezer', 'freezer.state');
    await writeText(file, 'FROZEN');
    try {
      await waitUntil(async () => (await readLine(file)) === 'FROZEN', {
        timeoutMs: this.#options.freezeTimeoutMs,
        what: `cgroup ${this.path} is frozen (${file})`,
      });
    } catch (error) {
      // Do not leave the group stuck half-way (FREEZING) behind a failed request.
      await writeText(file, 'THAWED').catch(() => undefined);
      throw error;
    }
  }

  async thaw(): Promise<void> {
    await writeText(this.#required('freezer', 'freezer.state'), 'THAWED');
  }

  async killAll(): Promise<void> {
    await killByFreezing(this, {
      timeoutMs: this.#options.killTimeoutMs,
      canFreeze: this.#mounts.has('freezer'),
      logger: this.#options.logger,
    });
  }

  async remove(): Promise<void> {
    if (this.path === '/') {
      throw new KolejkaError('KOLEJKA_VALIDATION', 'refusing to remove the root cgroup');
    }
    const mounts = [...new Set(this.#mounts.values())];
    const present = await Promise.all(
      mounts.map(
        async (mount) => (await stat(cgroupDir(mount, this.path)).catch(() => null)) !== null,
      ),
    );
    if (!present.includes(true)) return;
    if (this.#mounts.has('memory') && (await this.exists())) await this.killAll();
    for (const mount of mounts) {
      const dir = cgroupDir(mount, this.path);
      for (const one of [...(await descendantDirs(dir)), dir]) await removeDir(one);
    }
    this.#options.logger.debug('cgroup removed', { path: this.path, version: 'v1' });
  }
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
