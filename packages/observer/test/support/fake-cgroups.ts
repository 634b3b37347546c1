import path from 'node:path';
import { emptyStats, KolejkaError, type Limits, type Stats } from '@kolejka/spec';
import type {
  Cgroup,
  CgroupCreateOptions,
  CgroupVersion,
  Cgroups,
  MemoryEvents,
} from '../../src/index.js';

/**
 * An in-memory cgroup tree for unit tests of the session logic (the injected seam of
 * SessionManager). It keeps the rules that matter there: processes live in exactly one
 * cgroup, kills empty a subtree, and in v2 mode a cgroup with processes cannot give its
 * children controllers.
 */
export class FakeCgroups implements Cgroups {
  readonly root = '/fake';
  readonly version: CgroupVersion;
  readonly groups = new Map<string, { limits: Limits; frozen: boolean; stats: Stats }>();
  readonly processes = new Map<number, string>();
  readonly killed: number[] = [];
  readonly events: string[] = [];

  constructor(version: CgroupVersion = 'v1') {
    this.version = version;
    this.groups.set('/', { limits: {}, frozen: false, stats: emptyStats() });
  }

  /** Puts a (pretend) process in a cgroup, creating the cgroup. */
  place(pid: number, cgroupPath: string): void {
    this.#ensure(cgroupPath);
    this.processes.set(pid, cgroupPath);
  }

  #ensure(cgroupPath: string): void {
    let current = '/';
    for (const part of cgroupPath.split('/').filter((p) => p !== '')) {
      current = path.posix.join(current, part);
      if (!this.groups.has(current))
        this.groups.set(current, { limits: {}, frozen: false, stats: emptyStats() });
    }
  }

  pidsIn(cgroupPath: string, recursive: boolean): number[] {
    const pids: number[] = [];
    for (const [pid, where] of this.processes) {
      if (where === cgroupPath || (recursive && where.startsWith(`${cgroupPath}/`))) pids.push(pid);
    }
    return pids.sort((a, b) => a - b);
  }

  pathOfPid(pid: number): Promise<string> {
    const where = this.processes.get(pid);
    if (where === undefined)
      return Promise.reject(new KolejkaError('KOLEJKA_NOT_FOUND', `process ${pid} does not exist`));
    return Promise.resolve(where);
  }

  open(cgroupPath: string): Cgroup {
    return new FakeCgroup(this, cgroupPath);
  }

  create(cgroupPath: string, options: CgroupCreateOptions = {}): Promise<Cgroup> {
    const parent = path.posix.dirname(cgroupPath);
    const wantsControllers = (options.controllers ?? ['memory']).length > 0;
    if (
      this.version === 'v2' &&
      wantsControllers &&
      parent !== '/' &&
      this.pidsIn(parent, false).length > 0
    ) {
      return Promise.reject(
        new KolejkaError('KOLEJKA_CONFLICT', `no internal processes: ${parent}`),
      );
    }
    this.#ensure(cgroupPath);
    this.events.push(`create ${cgroupPath}`);
    return Promise.resolve(this.open(cgroupPath));
  }

  availableCpus(): Promise<number[]> {
    return Promise.resolve([0, 1, 2, 3]);
  }
}

class FakeCgroup implements Cgroup {
  readonly path: string;
  readonly #fake: FakeCgroups;

  constructor(fake: FakeCgroups, cgroupPath: string) {
    this.#fake = fake;
    this.path = cgroupPath;
  }

  #group(): { limits: Limits; frozen: boolean; stats: Stats } {
    const group = this.#fake.groups.get(this.path);
    if (group === undefined) throw new KolejkaError('KOLEJKA_NOT_FOUND', `no cgroup ${this.path}`);
    return group;
  }

  exists(): Promise<boolean> {
    return Promise.resolve(this.#fake.groups.has(this.path));
  }

  setLimits(limits: Limits): Promise<void> {
    const group = this.#group();
    group.limits = { ...group.limits, ...limits };
    this.#fake.events.push(`limits ${this.path} ${JSON.stringify(limits)}`);
    return Promise.resolve();
  }

  hasSwapAccounting(): Promise<boolean> {
    return Promise.resolve(true);
  }

  readStats(): Promise<Stats> {
    return Promise.resolve(structuredClone(this.#group().stats));
  }

  readOomKills(): Promise<number> {
    return Promise.resolve(0);
  }

  readMemoryEvents(): Promise<MemoryEvents | undefined> {
    const none = { max: 0, oom: 0, oomKill: 0 };
    return Promise.resolve({ own: none, subtree: none, isOwnExact: true });
  }

  listPids(recursive = false): Promise<number[]> {
    return Promise.resolve(this.#fake.pidsIn(this.path, recursive));
  }

  movePid(pid: number): Promise<void> {
    this.#group();
    if (!this.#fake.processes.has(pid))
      return Promise.reject(new KolejkaError('KOLEJKA_NOT_FOUND', `process ${pid} does not exist`));
    this.#fake.processes.set(pid, this.path);
    this.#fake.events.push(`move ${pid} ${this.path}`);
    return Promise.resolve();
  }

  freeze(): Promise<void> {
    this.#group().frozen = true;
    return Promise.resolve();
  }

  thaw(): Promise<void> {
    this.#group().frozen = false;
    return Promise.resolve();
  }

  killAll(): Promise<void> {
    for (const pid of this.#fake.pidsIn(this.path, true)) {
      this.#fake.processes.delete(pid);
      this.#fake.killed.push(pid);
    }
    return Promise.resolve();
  }

  async remove(): Promise<void> {
    await this.killAll();
    for (const key of [...this.#fake.groups.keys()]) {
      if (key === this.path || key.startsWith(`${this.path}/`)) this.#fake.groups.delete(key);
    }
    this.#fake.events.push(`remove ${this.path}`);
  }
}
