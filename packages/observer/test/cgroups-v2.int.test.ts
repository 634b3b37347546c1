import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { detectCgroups, type Cgroups } from '../src/index.js';
import { realCgroups, testCgroupPath } from './support/cgroup-env.js';
import { spawnHeld, type HeldProcess } from './support/held-process.js';

/**
 * The kernel's own v2 behaviour (moves, freezing, cgroup.kill, removal): on the machine's
 * unified hierarchy — /sys/fs/cgroup on a v2 host, or the controller-less v2 that systemd's
 * hybrid layout mounts at /sys/fs/cgroup/unified next to v1.
 */
async function findRealV2(): Promise<{ cgroups: Cgroups | undefined; reason: string }> {
  const direct = await realCgroups('v2');
  if (direct.cgroups !== undefined) return direct;
  const hybrid = await realCgroups('v2', '/sys/fs/cgroup/unified');
  return hybrid.cgroups !== undefined
    ? hybrid
    : { cgroups: undefined, reason: `${direct.reason}; ${hybrid.reason}` };
}

const real = await findRealV2();
if (real.cgroups === undefined) console.warn(`cgroup v2 kernel tests skipped: ${real.reason}`);

describe.skipIf(real.cgroups === undefined)('cgroup v2 on the real kernel', () => {
  const cgroups = real.cgroups as Cgroups;
  const parentPath = testCgroupPath('v2');
  const processes: HeldProcess[] = [];

  beforeAll(async () => {
    await cgroups.create(parentPath, { controllers: [] });
  });

  afterAll(async () => {
    for (const process of processes) process.kill();
    await cgroups.open(parentPath).remove();
  });

  it('moves, freezes, thaws, kills with cgroup.kill and removes', async () => {
    const group = await cgroups.create(`${parentPath}/session/inner`, { controllers: [] });
    const spinner = spawnHeld('sh -c "while :; do :; done" & while :; do :; done');
    processes.push(spinner);
    await group.movePid(spinner.pid);
    expect(await cgroups.pathOfPid(spinner.pid)).toBe(`${parentPath}/session/inner`);
    spinner.release();
    await sleep(100);
    const outer = cgroups.open(`${parentPath}/session`);
    expect((await outer.listPids(true)).length).toBe(2);
    expect(await outer.listPids(false)).toEqual([]);

    await outer.freeze();
    const events = await readFile(
      `${cgroups.root}${parentPath}/session/inner/cgroup.events`,
      'utf8',
    );
    expect(events).toContain('frozen 1');
    const frozenAt = (await group.readStats()).cpu.usage ?? 0;
    await sleep(150);
    expect((await group.readStats()).cpu.usage).toBe(frozenAt);
    await outer.thaw();
    await sleep(150);
    expect((await group.readStats()).cpu.usage).toBeGreaterThan(frozenAt);

    await outer.killAll();
    expect((await spinner.exited).signal).toBe('SIGKILL');
    expect(await outer.listPids(true)).toEqual([]);
    await outer.remove();
    expect(await outer.exists()).toBe(false);
    await outer.remove();
  });

  it('names a controller the hierarchy cannot give', async () => {
    const unified = await detectCgroups({ root: cgroups.root });
    const available = (await readFile(`${cgroups.root}/cgroup.controllers`, 'utf8'))
      .trim()
      .split(/\s+/);
    if (available.includes('memory')) return; // a full v2 host: nothing to refuse
    const error = await cgroups
      .create(`${parentPath}/memory`, { controllers: ['memory'] })
      .catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_UNAVAILABLE')).toBe(true);
    expect(unified.version).toBe('v2');
  });
});
