import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCgroups, type Cgroups } from '@kolejka/observer';
import { TaskCgroup } from '../src/container/cgroup.js';

// A cgroup v2 tree in a temporary directory, laid out as the kernel shows it: the worker's
// task cgroup on a v2 host without a v2 kernel at hand (the VM check runs the real thing).
const MiB = 1024 * 1024;
const CONTAINER = 'c0ffee';

const events = (max: number, oom: number, oomKill: number): string =>
  `low 0\nhigh 0\nmax ${max}\noom ${oom}\noom_kill ${oomKill}\noom_group_kill 0\n`;

function cgroupFiles(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'cgroup.controllers': 'cpuset cpu io memory pids',
    'cgroup.subtree_control': '',
    'cgroup.procs': '',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
    'memory.max': 'max',
    'memory.swap.max': 'max',
    'memory.current': '0',
    'memory.peak': '0',
    'memory.events': events(0, 0, 0),
    'memory.events.local': events(0, 0, 0),
    'pids.current': '0',
    'pids.events': 'max 0\n',
    ...overrides,
  };
}

/** The files of a kernel without some of them (older, or without swap accounting). */
function without(files: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(files).filter(([name]) => !names.includes(name)));
}

let base: string;
let root: string;
let cgroups: Cgroups;

async function cgroup(cgroupPath: string, files: Record<string, string>): Promise<void> {
  const dir = path.join(root, cgroupPath);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), content);
  }
}

/** Samples the container while it "runs", then lets it go as Docker does before the stop. */
async function runAndStop(task: TaskCgroup, containerDir: string): Promise<void> {
  task.startSampling(CONTAINER, 10);
  // Until a sample has read the container's events (a fixed wait missed it under CI load),
  // then a little longer for a few more; at most 10 s.
  const hasSampled = () =>
    (task as unknown as { sampledEvents?: unknown }).sampledEvents !== undefined;
  const deadline = Date.now() + 10_000;
  while (!hasSampled() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await rm(path.join(root, containerDir), { recursive: true, force: true });
}

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'kolejka-worker-v2-'));
  root = path.join(base, 'cgroup');
  await cgroup('/', cgroupFiles());
  await mkdir(path.join(base, 'proc'));
  cgroups = await detectCgroups({ root, procRoot: path.join(base, 'proc') });
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the task cgroup on cgroup v2', () => {
  it("keeps a session's OOM kill out of the task's verdict (memory.events is hierarchical)", async () => {
    // A judge that exited 1 at 39 MB of its 512 MiB; its session was OOM-killed 35 times over.
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'judge');
    const sessionEvents = events(35, 1, 1);
    await cgroup(task.path, cgroupFiles({ 'memory.events': sessionEvents }));
    await cgroup(
      task.containerPath(CONTAINER),
      cgroupFiles({ 'memory.events': sessionEvents, 'memory.current': String(39 * MiB) }),
    );
    await runAndStop(task, task.containerPath(CONTAINER));
    const figures = await task.finish();
    expect(figures.oomKills).toBe(0);
    expect(figures.stats.memory.failures).toBe(0);
    expect(figures.isOomCountOwn).toBe(true);
  });

  it("still sees the task's own OOM kill when the container went before a sample had it", async () => {
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'rambomb');
    await cgroup(task.path, cgroupFiles({ 'memory.events': events(0, 0, 0) }));
    await cgroup(task.containerPath(CONTAINER), cgroupFiles());
    await runAndStop(task, task.containerPath(CONTAINER));
    // The kill happened after the last sample: only the parent's subtree counters saw it.
    await cgroup(task.path, cgroupFiles({ 'memory.events': events(4, 1, 1) }));
    const figures = await task.finish();
    expect(figures.oomKills).toBe(1);
    expect(figures.stats.memory.failures).toBe(4);
  });

  it("limits swap in the task's parent cgroup itself (dockerd without systemd ignores MemorySwap)", async () => {
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'swap');
    await cgroup(task.path, cgroupFiles());
    await task.make({ memory: 64 * MiB });
    const read = (file: string): Promise<string> =>
      readFile(path.join(root, task.path, file), 'utf8');
    expect(await read('memory.swap.max')).toBe('0');
    expect(await read('memory.max')).toBe(String(64 * MiB));
  });
});

describe('what the host could not count or limit, said with the figures', () => {
  it('names the peaks that are sampled where the kernel has no memory.peak (< 5.19) nor pids.peak (< 6.1)', async () => {
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'old-kernel');
    const old = without(cgroupFiles({ 'pids.current': '1' }), 'memory.peak');
    await cgroup(task.path, old);
    await cgroup(
      task.containerPath(CONTAINER),
      without(
        cgroupFiles({ 'memory.current': String(200 * MiB), 'pids.current': '7' }),
        'memory.peak',
      ),
    );
    await runAndStop(task, task.containerPath(CONTAINER));
    const figures = await task.finish();
    // The largest of the samples, not the parent's usage after the exit.
    expect(figures.stats.memory.max_usage).toBe(200 * MiB);
    expect(figures.stats.pids.max_usage).toBe(7);
    expect(figures.sampledStats).toEqual(['memory.max_usage', 'pids.max_usage']);
  });

  it('names none where the parent keeps both peaks', async () => {
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'new-kernel');
    const peaks = { 'memory.peak': String(64 * MiB), 'pids.peak': '3' };
    await cgroup(task.path, cgroupFiles(peaks));
    await cgroup(task.containerPath(CONTAINER), cgroupFiles(peaks));
    await runAndStop(task, task.containerPath(CONTAINER));
    const figures = await task.finish();
    expect(figures.stats.memory.max_usage).toBe(64 * MiB);
    expect(figures.sampledStats).toEqual([]);
    expect(figures.isSwapLimitable).toBe(true);
  });

  it('says the swap limit does not hold where the kernel accounts no swap (cgroupfs)', async () => {
    const task = TaskCgroup.plan(cgroups, 'cgroupfs', 'noswap');
    await cgroup(task.path, without(cgroupFiles(), 'memory.swap.max'));
    await task.make({ memory: 64 * MiB });
    expect((await task.finish()).isSwapLimitable).toBe(false);
  });

  it('says the same for a systemd slice without memory.swap.max, and not with it', async () => {
    const stop = (): Promise<void> => Promise.resolve();
    const bare = TaskCgroup.plan(cgroups, 'systemd', 'bare', undefined, stop);
    await cgroup(bare.path, without(cgroupFiles(), 'memory.swap.max'));
    await bare.make({ memory: 64 * MiB });
    expect((await bare.finish()).isSwapLimitable).toBe(false);
    const swap = TaskCgroup.plan(cgroups, 'systemd', 'swap', undefined, stop);
    await cgroup(swap.path, cgroupFiles());
    await swap.make({ memory: 64 * MiB });
    expect((await swap.finish()).isSwapLimitable).toBe(true);
  });
});

describe('the task slice (systemd driver)', () => {
  it('is stopped once its stats are read: systemd does not collect it', async () => {
    const stopped: string[] = [];
    const task = TaskCgroup.plan(cgroups, 'systemd', 'abc-1', undefined, (unit) => {
      stopped.push(unit);
      return Promise.resolve();
    });
    expect(task.dockerParent).toBe('kolejka-abc1.slice');
    await task.finish();
    await task.remove();
    expect(stopped).toEqual(['kolejka-abc1.slice']);
  });
});
