import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';
import type { Cgroup, CgroupCreateOptions, Cgroups } from './cgroups.js';
import { CgroupV1 } from './cgroup-v1.js';
import {
  cgroupDir,
  cgroupIoError,
  errnoOf,
  normalizeCgroupPath,
  readLine,
  writeText,
} from './cgroup-fs.js';
import { parseCpuList } from './cpu-list.js';
import { readProcCgroup } from './proc.js';
import type { ResolvedCgroupsOptions } from './resolved-options.js';
import type { V1Controller, V1Mounts } from './v1-mounts.js';

export class CgroupsV1 implements Cgroups {
  readonly version = 'v1' as const;
  readonly root: string;
  readonly #options: ResolvedCgroupsOptions;
  readonly #mounts: V1Mounts;
  /** Distinct hierarchy dirs: a cgroup is made and removed once per hierarchy. */
  readonly #hierarchies: string[];

  constructor(options: ResolvedCgroupsOptions, mounts: V1Mounts) {
    if (!mounts.has('memory')) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `no cgroup v1 memory hierarchy under ${options.root} (expected ${options.root}/memory/tasks)`,
      );
    }
    this.root = options.root;
    this.#options = options;
    this.#mounts = mounts;
    this.#hierarchies = [...new Set(mounts.values())];
  }

  /** Mounted controllers, for diagnostics. */
  get controllers(): V1Controller[] {
    return [...this.#mounts.keys()];
  }

  async pathOfPid(pid: number): Promise<string> {
    const entries = await readProcCgroup(this.#options.procRoot, pid);
    const memory = entries.find((entry) => entry.controllers.includes('memory'));
    if (memory === undefined) {
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `process ${pid} has no cgroup v1 memory hierarchy in ${this.#options.procRoot}/${pid}/cgroup`,
      );
    }
    return normalizeCgroupPath(memory.path);
  }

  open(cgroupPath: string): Cgroup {
    return new CgroupV1(normalizeCgroupPath(cgroupPath), this.#mounts, this.#options, this);
  }

  async create(cgroupPath: string, _options?: CgroupCreateOptions): Promise<Cgroup> {
    const normalized = normalizeCgroupPath(cgroupPath);
    const parts = normalized.split('/').filter((part) => part !== '');
    const cpusetMount = this.#mounts.get('cpuset');
    for (const mount of this.#hierarchies) {
      let current = '/';
      for (const part of parts) {
        const parent = current;
        current = path.posix.join(current, part);
        const dir = cgroupDir(mount, current);
        let created = true;
        try {
          await mkdir(dir);
        } catch (error) {
          if (errnoOf(error) !== 'EEXIST') throw cgroupIoError(`create cgroup ${dir}`, error);
          created = false;
        }
        // A new v1 cpuset has no CPUs and no memory nodes: nothing could run in it.
        if (mount === cpusetMount && created) await this.#inheritCpuset(mount, parent, current);
      }
    }
    this.#options.logger.debug('cgroup created', { path: normalized, version: 'v1' });
    return this.open(normalized);
  }

  async #inheritCpuset(mount: string, parent: string, child: string): Promise<void> {
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const childFile = path.join(cgroupDir(mount, child), file);
      if ((await readLine(childFile)) !== '') continue;
      const value = await readLine(path.join(cgroupDir(mount, parent), file));
      if (value !== undefined && value !== '') await writeText(childFile, value);
    }
  }

  async availableCpus(cgroupPath: string): Promise<number[]> {
    const mount = this.#mounts.get('cpuset');
    if (mount !== undefined) {
      let current = normalizeCgroupPath(cgroupPath);
      for (;;) {
        const dir = cgroupDir(mount, current);
        for (const file of ['cpuset.effective_cpus', 'cpuset.cpus']) {
          const text = await readLine(path.join(dir, file));
          if (text !== undefined && text !== '') return parseCpuList(text);
        }
        if (current === '/') break;
        current = path.posix.dirname(current);
      }
    }
    return os.cpus().map((_, index) => index);
  }
}
