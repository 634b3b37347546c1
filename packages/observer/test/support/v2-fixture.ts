import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Files of one cgroup in a fixture tree laid out like /sys/fs/cgroup on a v2 host. */
export type FixtureFiles = Record<string, string>;

/** What the kernel shows in a fresh cgroup that has cpu, cpuset, memory and pids enabled. */
export function v2CgroupFiles(overrides: FixtureFiles = {}): FixtureFiles {
  return {
    'cgroup.controllers': 'cpuset cpu io memory pids',
    'cgroup.subtree_control': '',
    'cgroup.procs': '',
    'cgroup.freeze': '0',
    'cgroup.events': 'populated 0\nfrozen 0\n',
    'cgroup.kill': '',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
    'cpuset.cpus': '',
    'cpuset.cpus.effective': '0-3',
    'cpuset.mems': '',
    'memory.max': 'max',
    'memory.swap.max': 'max',
    'memory.current': '0',
    'memory.peak': '0',
    'memory.swap.current': '0',
    'memory.swap.peak': '0',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
    'pids.max': 'max',
    'pids.current': '0',
    'pids.peak': '0',
    'pids.events': 'max 0\n',
    ...overrides,
  };
}

export interface V2Fixture {
  root: string;
  procRoot: string;
  /** Writes (or overwrites) files of the cgroup at `cgroupPath`, creating its directory. */
  cgroup(cgroupPath: string, files?: FixtureFiles): Promise<string>;
  /** Makes /proc/<pid>/cgroup say the process is in `cgroupPath`. */
  process(pid: number, cgroupPath: string): Promise<void>;
  remove(): Promise<void>;
}

export async function createV2Fixture(): Promise<V2Fixture> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-v2-'));
  const root = path.join(base, 'cgroup');
  const procRoot = path.join(base, 'proc');
  const fixture: V2Fixture = {
    root,
    procRoot,
    async cgroup(cgroupPath, files = v2CgroupFiles()) {
      const dir = path.join(root, cgroupPath);
      await mkdir(dir, { recursive: true });
      for (const [name, content] of Object.entries(files)) {
        await writeFile(path.join(dir, name), content);
      }
      return dir;
    },
    async process(pid, cgroupPath) {
      await mkdir(path.join(procRoot, String(pid)), { recursive: true });
      await writeFile(path.join(procRoot, String(pid), 'cgroup'), `0::${cgroupPath}\n`);
    },
    async remove() {
      await rm(base, { recursive: true, force: true });
    },
  };
  await fixture.cgroup('/', v2CgroupFiles({ 'cgroup.procs': '1\n' }));
  return fixture;
}
