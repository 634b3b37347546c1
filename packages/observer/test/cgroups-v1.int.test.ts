import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cgroup, Cgroups } from '../src/index.js';
import { realCgroups, testCgroupPath } from './support/cgroup-env.js';
import { spawnHeld, type HeldProcess } from './support/held-process.js';

const real = await realCgroups('v1');
if (real.cgroups === undefined) console.warn(`cgroup v1 integration tests skipped: ${real.reason}`);

const MiB = 1024 * 1024;

describe.skipIf(real.cgroups === undefined)('cgroup v1 on the real hierarchy', () => {
  const cgroups = real.cgroups as Cgroups;
  const parentPath = testCgroupPath('v1');
  const processes: HeldProcess[] = [];
  let parent: Cgroup;

  const held = (script: string): HeldProcess => {
    const process = spawnHeld(script);
    processes.push(process);
    return process;
  };

  beforeAll(async () => {
    parent = await cgroups.create(parentPath);
  });

  afterAll(async () => {
    for (const process of processes) process.kill();
    await cgroups.open(parentPath).remove();
  });

  it('creates a cgroup in every hierarchy, with the parent cpuset, and moves a process in', async () => {
    const child = await cgroups.create(`${parentPath}/plain/nested`);
    expect(await child.exists()).toBe(true);
    for (const controller of ['memory', 'cpuacct', 'cpuset', 'pids', 'freezer']) {
      expect(
        (await stat(`${cgroups.root}/${controller}${parentPath}/plain/nested`)).isDirectory(),
      ).toBe(true);
    }
    const cpus = (
      await readFile(`${cgroups.root}/cpuset${parentPath}/plain/nested/cpuset.cpus`, 'utf8')
    ).trim();
    expect(cpus).not.toBe('');
    expect(await cgroups.availableCpus(child.path)).toEqual(os.cpus().map((_, index) => index));

    const sleeper = held('exec sleep 30');
    await child.movePid(sleeper.pid);
    expect(await cgroups.pathOfPid(sleeper.pid)).toBe(`${parentPath}/plain/nested`);
    expect(await child.listPids()).toEqual([sleeper.pid]);
    expect(await parent.listPids(true)).toContain(sleeper.pid);
    expect(await parent.listPids(false)).not.toContain(sleeper.pid);

    const stats = await child.readStats();
    expect(stats.pids.usage).toBe(1);
    // v1 does not move charges with a process: what it allocated before stays with the old group.
    expect(stats.memory.usage).toBeGreaterThanOrEqual(0);
    expect(stats.memory.max_usage).toBeGreaterThanOrEqual(0);
    expect(stats.cpu.usage).toBeGreaterThanOrEqual(0);
    expect(Object.keys(stats.cpus)).toEqual(os.cpus().map((_, index) => String(index)));

    await cgroups.open(`${parentPath}/plain`).remove();
    const exit = await sleeper.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(await child.exists()).toBe(false);
    await expect(stat(`${cgroups.root}/pids${parentPath}/plain`)).rejects.toThrow();
    await cgroups.open(`${parentPath}/plain`).remove(); // idempotent
  });

  it('OOM-kills a memory hog at the memory limit and reports the peak', async () => {
    const group = await cgroups.create(`${parentPath}/memory`);
    await group.setLimits({ memory: 32 * MiB, swap: 0 });
    expect(
      Number(await readFile(`${cgroups.root}/memory${group.path}/memory.limit_in_bytes`, 'utf8')),
    ).toBe(32 * MiB);
    // tail buffers a "line" of /dev/zero forever: memory grows until the limit.
    const hog = held('exec tail /dev/zero');
    await group.movePid(hog.pid);
    hog.release();
    const exit = await hog.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(await group.readOomKills()).toBe(1);
    const stats = await group.readStats();
    expect(stats.memory.max_usage).toBeGreaterThan(31 * MiB);
    expect(stats.memory.max_usage).toBeLessThanOrEqual(32 * MiB);
    // Linux 6.x no longer counts failcnt when the memsw counter is the one that refused.
    expect(stats.memory.failures).toBeGreaterThanOrEqual(0);
    expect(stats.memory.max_swap).toBe(0);
    await group.remove();
  });

  it('orders memory and memsw writes whichever way the limits move', async () => {
    const group = await cgroups.create(`${parentPath}/memsw`);
    const read = async (file: string): Promise<number> =>
      Number(await readFile(`${cgroups.root}/memory${group.path}/${file}`, 'utf8'));
    // The test relies on swap accounting (memsw), as this host has it: the library says so.
    expect(await group.hasSwapAccounting()).toBe(true);
    await group.setLimits({ memory: 64 * MiB, swap: 0 });
    await group.setLimits({ memory: 128 * MiB, swap: 16 * MiB });
    expect(await read('memory.limit_in_bytes')).toBe(128 * MiB);
    expect(await read('memory.memsw.limit_in_bytes')).toBe(144 * MiB);
    await group.setLimits({ memory: 32 * MiB, swap: 0 });
    expect(await read('memory.limit_in_bytes')).toBe(32 * MiB);
    expect(await read('memory.memsw.limit_in_bytes')).toBe(32 * MiB);
    await group.setLimits({ memory: 48 * MiB });
    expect(await read('memory.limit_in_bytes')).toBe(48 * MiB);
    await group.remove();
  });

  it('refuses forks beyond pids.max and counts the failures', async () => {
    const group = await cgroups.create(`${parentPath}/pids`);
    await group.setLimits({ pids: 3 });
    expect((await readFile(`${cgroups.root}/pids${group.path}/pids.max`, 'utf8')).trim()).toBe('3');
    const forker = held('for i in 1 2 3 4 5 6; do sleep 5 & done; sleep 0.3; exit 0');
    await group.movePid(forker.pid);
    forker.release();
    await sleep(200);
    const stats = await group.readStats();
    expect(stats.pids.failures).toBeGreaterThan(0);
    expect(stats.pids.max_usage).toBe(3);
    await group.killAll();
    expect(await group.listPids(true)).toEqual([]);
    await group.remove();
  });

  it('puts cpus at the offset in the cpuset', async () => {
    const group = await cgroups.create(`${parentPath}/cpus`);
    const available = await cgroups.availableCpus(parentPath);
    await group.setLimits({ cpus: 1, cpus_offset: 1 });
    const cpus = (await readFile(`${cgroups.root}/cpuset${group.path}/cpuset.cpus`, 'utf8')).trim();
    expect(cpus).toBe(String(available[1 % available.length]));
    await group.remove();
  });

  it('freezes (CPU time stops), thaws, and kills a whole subtree', async () => {
    const group = await cgroups.create(`${parentPath}/freeze`);
    const spinner = held('sh -c "while :; do :; done" & sh -c "while :; do :; done" & wait');
    await group.movePid(spinner.pid);
    spinner.release();
    await sleep(100);
    expect((await group.listPids()).length).toBe(3);

    await group.freeze();
    expect(
      (await readFile(`${cgroups.root}/freezer${group.path}/freezer.state`, 'utf8')).trim(),
    ).toBe('FROZEN');
    const frozenAt = (await group.readStats()).cpu.usage ?? 0;
    await sleep(150);
    expect((await group.readStats()).cpu.usage).toBe(frozenAt);

    await group.thaw();
    await sleep(150);
    expect((await group.readStats()).cpu.usage).toBeGreaterThan(frozenAt);

    const started = performance.now();
    await group.killAll();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await group.listPids(true)).toEqual([]);
    expect((await spinner.exited).signal).toBe('SIGKILL');
    await group.remove();
    expect(await group.exists()).toBe(false);
  });

  it('reads its own user and system CPU time in seconds', async () => {
    const group = await cgroups.create(`${parentPath}/cpu`);
    const worker = held('i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done');
    await group.movePid(worker.pid);
    worker.release();
    await worker.exited;
    const stats = await group.readStats();
    expect(stats.cpu.usage).toBeGreaterThan(0.05);
    expect((stats.cpu.user ?? 0) + (stats.cpu.system ?? 0)).toBeGreaterThan(0.03);
    expect((stats.cpu.user ?? 0) + (stats.cpu.system ?? 0)).toBeLessThan(
      (stats.cpu.usage ?? 0) * 1.5 + 0.05,
    );
    await group.remove();
  });
});
