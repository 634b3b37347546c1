import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { detectCgroups, detectCgroupVersion, type Cgroups } from '../src/index.js';
import { createV2Fixture, v2CgroupFiles, type V2Fixture } from './support/v2-fixture.js';

let fixture: V2Fixture;
let cgroups: Cgroups;

beforeEach(async () => {
  fixture = await createV2Fixture();
  cgroups = await detectCgroups({
    root: fixture.root,
    procRoot: fixture.procRoot,
    freezeTimeoutMs: 50,
    killTimeoutMs: 50,
  });
});

afterEach(async () => {
  await fixture.remove();
});

const read = async (cgroupPath: string, file: string): Promise<string> =>
  (await readFile(path.join(fixture.root, cgroupPath, file), 'utf8')).trim();

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('detection', () => {
  it('recognises a unified mount, a v1 layout, and names both when neither is there', async () => {
    expect(cgroups.version).toBe('v2');
    expect(await detectCgroupVersion(fixture.root)).toBe('v2');

    const base = await mkdtemp(path.join(os.tmpdir(), 'kolejka-observer-detect-'));
    try {
      // The systemd hybrid layout: v1 controllers plus a v2 mount at unified/.
      await mkdir(path.join(base, 'memory'));
      await writeFile(path.join(base, 'memory', 'tasks'), '');
      await mkdir(path.join(base, 'unified'));
      await writeFile(path.join(base, 'unified', 'cgroup.controllers'), '');
      expect(await detectCgroupVersion(base)).toBe('v1');
      const empty = path.join(base, 'empty');
      await mkdir(empty);
      const error = await rejection(detectCgroups({ root: empty }));
      expect(isKolejkaError(error, 'KOLEJKA_UNAVAILABLE')).toBe(true);
      expect(error.message).toContain(`${empty}/cgroup.controllers (cgroup v2)`);
      expect(error.message).toContain(`${empty}/memory/tasks (cgroup v1)`);
      // The version can be forced.
      expect(
        (await detectCgroups({ root: fixture.root, version: 'v1' }).catch(
          (e: Error) => e,
        )) instanceof Error,
      ).toBe(true);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('finds a process cgroup in /proc/<pid>/cgroup', async () => {
    await fixture.process(4242, '/system.slice/docker-abc.scope');
    expect(await cgroups.pathOfPid(4242)).toBe('/system.slice/docker-abc.scope');
    const error = await rejection(cgroups.pathOfPid(4243));
    expect(isKolejkaError(error, 'KOLEJKA_NOT_FOUND')).toBe(true);
    expect(error.message).toContain('process 4243 does not exist');
  });
});

describe('create', () => {
  it('enables the default controllers on the way down', async () => {
    await fixture.cgroup('/kolejka', v2CgroupFiles());
    const group = await cgroups.create('/kolejka/task-1');
    expect(group.path).toBe('/kolejka/task-1');
    expect(await read('/', 'cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');
    expect(await read('/kolejka', 'cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');
    expect(await group.exists()).toBe(true);
  });

  it('skips controllers already enabled and those the parent lacks, unless named', async () => {
    await fixture.cgroup(
      '/',
      v2CgroupFiles({ 'cgroup.controllers': 'memory pids', 'cgroup.subtree_control': 'memory' }),
    );
    await cgroups.create('/a');
    expect(await read('/', 'cgroup.subtree_control')).toBe('+pids');
    const error = await rejection(cgroups.create('/b', { controllers: ['memory', 'cpu'] }));
    expect(isKolejkaError(error, 'KOLEJKA_UNAVAILABLE')).toBe(true);
    expect(error.message).toContain('cpu');
  });

  it('refuses to enable controllers below a cgroup that has processes (no internal processes)', async () => {
    await fixture.cgroup('/docker/abc', v2CgroupFiles({ 'cgroup.procs': '321\n322\n' }));
    const error = await rejection(cgroups.create('/docker/abc/kolejka_observer_1'));
    expect(isKolejkaError(error, 'KOLEJKA_CONFLICT')).toBe(true);
    expect(error.message).toContain('no internal processes');
    expect(error.message).toContain('/docker/abc');
    expect(error.message).toContain('321, 322');
    expect(await read('/docker/abc', 'cgroup.subtree_control')).toBe('');
  });

  it('rejects paths that would leave the hierarchy', async () => {
    for (const bad of ['relative', '/a/../b', '/a/./b']) {
      const error = await rejection(cgroups.create(bad));
      expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
    }
  });
});

describe('limits, stats and control', () => {
  beforeEach(async () => {
    await fixture.cgroup('/task', v2CgroupFiles({ 'cpuset.cpus.effective': '0-3' }));
    await fixture.cgroup('/task/session', v2CgroupFiles({ 'cpuset.cpus.effective': '0-3' }));
  });

  it('writes memory, swap, cpus at the offset (wrapping) and pids', async () => {
    const group = cgroups.open('/task/session');
    await group.setLimits({
      memory: 64 * 1024 * 1024,
      swap: 0,
      cpus: 2,
      cpus_offset: 3,
      pids: 16,
      time: 1,
    });
    expect(await read('/task/session', 'memory.max')).toBe('67108864');
    expect(await read('/task/session', 'memory.swap.max')).toBe('0');
    expect(await read('/task/session', 'cpuset.cpus')).toBe('0,3');
    expect(await read('/task/session', 'pids.max')).toBe('16');
    await group.setLimits({ cpus: 8 });
    expect(await read('/task/session', 'cpuset.cpus')).toBe('0-3');
  });

  it('says which controller is missing when a limit file is absent', async () => {
    const files = v2CgroupFiles();
    delete files['memory.max'];
    await fixture.cgroup('/task/bare', files);
    await rm(path.join(fixture.root, 'task/bare/memory.max'), { force: true });
    const error = await rejection(cgroups.open('/task/bare').setLimits({ memory: 1024 }));
    expect(isKolejkaError(error, 'KOLEJKA_UNAVAILABLE')).toBe(true);
    expect(error.message).toContain('memory controller is not enabled');
  });

  it('tells swap accounting by memory.swap.max (absent without it)', async () => {
    expect(await cgroups.open('/task/session').hasSwapAccounting()).toBe(true);
    await rm(path.join(fixture.root, 'task/session/memory.swap.max'));
    expect(await cgroups.open('/task/session').hasSwapAccounting()).toBe(false);
    expect(await cgroups.open('/gone').hasSwapAccounting()).toBe(false);
  });

  it('maps the v2 files to stats', async () => {
    await fixture.cgroup(
      '/task/session',
      v2CgroupFiles({
        'cpu.stat': 'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 400000\nnr_periods 0\n',
        'memory.current': '1048576',
        'memory.peak': '67108864',
        'memory.swap.current': '4096',
        'memory.swap.peak': '8192',
        'memory.events': 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n',
        'pids.current': '2',
        'pids.peak': '5',
        'pids.events': 'max 3\n',
      }),
    );
    const group = cgroups.open('/task/session');
    expect(await group.readStats()).toEqual({
      cpu: { usage: 1.5, user: 1, system: 0.4 },
      cpus: {},
      memory: { usage: 1048576, max_usage: 67108864, swap: 4096, max_swap: 8192, failures: 7 },
      pids: { usage: 2, max_usage: 5, failures: 3 },
      perf: {},
      gpus: {},
    });
    expect(await group.readOomKills()).toBe(1);
  });

  it("counts the cgroup's own memory events, not a nested session's (memory.events.local)", async () => {
    // A judge (39 MB of its 512 MiB) whose session was OOM-killed: memory.events counts the
    // subtree, memory.events.local the cgroup itself; the victim lived in the session.
    await fixture.cgroup(
      '/task',
      v2CgroupFiles({
        'memory.events': 'low 0\nhigh 0\nmax 35\noom 1\noom_kill 1\noom_group_kill 0\n',
        'memory.events.local': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
      }),
    );
    await fixture.cgroup(
      '/task/session',
      v2CgroupFiles({
        'memory.events': 'low 0\nhigh 0\nmax 35\noom 1\noom_kill 1\noom_group_kill 0\n',
        'memory.events.local': 'low 0\nhigh 0\nmax 35\noom 1\noom_kill 1\noom_group_kill 0\n',
      }),
    );
    const task = cgroups.open('/task');
    expect((await task.readStats()).memory.failures).toBe(0);
    expect(await task.readOomKills()).toBe(0);
    expect(await task.readMemoryEvents()).toEqual({
      own: { max: 0, oom: 0, oomKill: 0 },
      subtree: { max: 35, oom: 1, oomKill: 1 },
      isOwnExact: true,
    });
    const session = cgroups.open('/task/session');
    expect((await session.readStats()).memory.failures).toBe(35);
    expect(await session.readOomKills()).toBe(1);
  });

  it('charges an OOM to the cgroup whose limit was hit even when the victim was in a leaf below it', async () => {
    await fixture.cgroup(
      '/task',
      v2CgroupFiles({
        'memory.events': 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n',
        'memory.events.local': 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\noom_group_kill 0\n',
      }),
    );
    expect(await cgroups.open('/task').readOomKills()).toBe(1);
    expect((await cgroups.open('/task').readStats()).memory.failures).toBe(12);
  });

  it('leaves out what the kernel does not report', async () => {
    await rm(path.join(fixture.root, 'task/session/memory.peak'));
    await rm(path.join(fixture.root, 'task/session/pids.peak'));
    const stats = await cgroups.open('/task/session').readStats();
    expect(stats.memory).not.toHaveProperty('max_usage');
    expect(stats.pids).not.toHaveProperty('max_usage');
    expect(stats.memory.usage).toBe(0);
  });

  it('lists pids of the subtree', async () => {
    await fixture.cgroup('/task/session', v2CgroupFiles({ 'cgroup.procs': '10\n11\n' }));
    await fixture.cgroup('/task/session/inner', v2CgroupFiles({ 'cgroup.procs': '12\n' }));
    const group = cgroups.open('/task/session');
    expect(await group.listPids()).toEqual([10, 11]);
    expect(await group.listPids(true)).toEqual([10, 11, 12]);
  });

  it('waits for the kernel to report frozen, and times out with a clear error', async () => {
    const group = cgroups.open('/task/session');
    const error = await rejection(group.freeze());
    expect(isKolejkaError(error, 'KOLEJKA_TIMEOUT')).toBe(true);
    expect(error.message).toContain('frozen');
    expect(await read('/task/session', 'cgroup.freeze')).toBe('0');

    await fixture.cgroup(
      '/task/session',
      v2CgroupFiles({ 'cgroup.events': 'populated 1\nfrozen 1\n' }),
    );
    await group.freeze();
    expect(await read('/task/session', 'cgroup.freeze')).toBe('1');
    await group.thaw();
    expect(await read('/task/session', 'cgroup.freeze')).toBe('0');
  });

  it('uses cgroup.kill and reports processes that do not go away', async () => {
    await fixture.cgroup('/task/session', v2CgroupFiles({ 'cgroup.procs': '999999999\n' }));
    const error = await rejection(cgroups.open('/task/session').killAll());
    expect(await read('/task/session', 'cgroup.kill')).toBe('1');
    expect(isKolejkaError(error, 'KOLEJKA_TIMEOUT')).toBe(true);
  });

  it('finds available CPUs up the tree', async () => {
    await fixture.cgroup('/', v2CgroupFiles({ 'cpuset.cpus.effective': '0-1,4' }));
    await mkdir(path.join(fixture.root, 'bare'));
    expect(await cgroups.availableCpus('/bare')).toEqual([0, 1, 4]);
    expect(await cgroups.availableCpus('/task')).toEqual([0, 1, 2, 3]);
  });
});
