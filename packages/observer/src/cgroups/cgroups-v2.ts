import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';
import type { Cgroup, CgroupCreateOptions, Cgroups } from './cgroups.js';
import { CgroupV2 } from './cgroup-v2.js';
import {
  cgroupDir,
  cgroupIoError,
  errnoOf,
  normalizeCgroupPath,
  readLine,
  readPids,
  writeText,
} from './cgroup-fs.js';
import { parseCpuList } from './cpu-list.js';
import { readProcCgroup } from './proc.js';
import type { ResolvedCgroupsOptions } from './resolved-options.js';

/** Controllers enabled for a new cgroup when the caller names none (those the parent has). */
export const DEFAULT_V2_CONTROLLERS = ['cpu', 'cpuset', 'memory', 'pids'] as const;

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter((word) => word !== '');
}

export class CgroupsV2 implements Cgroups {
  readonly version = 'v2' as const;
  readonly root: string;
  readonly #options: ResolvedCgroupsOptions;

  constructor(options: ResolvedCgroupsOptions) {
    this.root = options.root;
    this.#options = options;
  }

  async pathOfPid(pid: number): Promise<string> {
    const entries = await readProcCgroup(this.#options.procRoot, pid);
    const unified = entries.find(
      (entry) => entry.hierarchyId === 0 && entry.controllers.length === 0,
    );
    if (unified === undefined) {
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `process ${pid} has no cgroup v2 entry ("0::/…") in ${this.#options.procRoot}/${pid}/cgroup`,
      );
    }
    return normalizeCgroupPath(unified.path);
  }

  open(cgroupPath: string): Cgroup {
    return new CgroupV2(normalizeCgroupPath(cgroupPath), this.#options, this);
  }

  /**
   * Creates each missing level, enabling the controllers on the way down: a level's
   * cgroup.subtree_control decides what its children get. The kernel refuses that for a
   * non-root cgroup that has processes of its own ("no internal processes"); we check first
   * so the error names the cgroup and the rule instead of a bare EBUSY.
   */
  async create(cgroupPath: string, options: CgroupCreateOptions = {}): Promise<Cgroup> {
    const normalized = normalizeCgroupPath(cgroupPath);
    const parts = normalized.split('/').filter((part) => part !== '');
    const explicit = options.controllers !== undefined;
    const wanted = options.controllers ?? [...DEFAULT_V2_CONTROLLERS];
    let current = '/';
    for (const part of parts) {
      const parent = current;
      current = path.posix.join(current, part);
      await this.#enableForChildren(parent, wanted, explicit);
      const dir = cgroupDir(this.root, current);
      try {
        await mkdir(dir);
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw cgroupIoError(`create cgroup ${dir}`, error);
      }
    }
    this.#options.logger.debug('cgroup created', { path: normalized, version: 'v2' });
    return this.open(normalized);
  }

  async #enableForChildren(parent: string, wanted: string[], explicit: boolean): Promise<void> {
    const dir = cgroupDir(this.root, parent);
    const available = words(await readLine(path.join(dir, 'cgroup.controllers')));
    const enabled = words(await readLine(path.join(dir, 'cgroup.subtree_control')));
    const missing = wanted.filter((name) => !available.includes(name));
    if (explicit && missing.length > 0) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `cgroup ${parent} cannot give its children the ${missing.join(', ')} controller(s): its cgroup.controllers has only "${available.join(' ')}"`,
      );
    }
    const toEnable = wanted.filter((name) => available.includes(name) && !enabled.includes(name));
    if (toEnable.length === 0) return;
    if (parent !== '/') {
      const pids = await readPids(path.join(dir, 'cgroup.procs'));
      if (pids.length > 0) throw internalProcessesConflict(parent, toEnable, pids);
    }
    try {
      await writeText(
        path.join(dir, 'cgroup.subtree_control'),
        toEnable.map((name) => `+${name}`).join(' '),
      );
    } catch (error) {
      if ((error as KolejkaError).code === 'KOLEJKA_CONFLICT' && parent !== '/') {
        throw internalProcessesConflict(parent, toEnable, [], error);
      }
      throw error;
    }
  }

  async availableCpus(cgroupPath: string): Promise<number[]> {
    let current = normalizeCgroupPath(cgroupPath);
    for (;;) {
      const dir = cgroupDir(this.root, current);
      for (const file of ['cpuset.cpus.effective', 'cpuset.cpus']) {
        const text = await readLine(path.join(dir, file));
        if (text !== undefined && text !== '') return parseCpuList(text);
      }
      if (current === '/') break;
      current = path.posix.dirname(current);
    }
    return os.cpus().map((_, index) => index);
  }
}

function internalProcessesConflict(
  parent: string,
  controllers: string[],
  pids: number[],
  cause?: unknown,
): KolejkaError {
  const who = pids.length > 0 ? ` (it holds processes ${pids.join(', ')})` : '';
  return new KolejkaError(
    'KOLEJKA_CONFLICT',
    `cgroup v2 "no internal processes" rule: cgroup ${parent} has processes of its own${who}, so it cannot enable ${controllers.join(', ')} for child cgroups; move its processes into a leaf child first`,
    { cause, details: { path: parent, pids, controllers } },
  );
}
