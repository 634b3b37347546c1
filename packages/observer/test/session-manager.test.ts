import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyStats, isKolejkaError, type ErrorCode } from '@kolejka/spec';
import { PROCESSES_LEAF } from '../src/daemon/processes-leaf.js';
import { SessionManager } from '../src/daemon/session-manager.js';
import type { Session } from '../src/daemon/session.js';
import { FakeCgroups } from './support/fake-cgroups.js';
import { createFakeProc, type FakeProc } from './support/fake-proc.js';

const JUDGE = 100;
const RUNNER = 101;
const STRANGER = 102;
const CONTAINER = '/docker/abc';

let cgroups: FakeCgroups;
let proc: FakeProc;
let clock: number;
let manager: SessionManager;

async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(isKolejkaError(error, code), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`expected a ${code} error`);
}

function setUp(version: 'v1' | 'v2'): void {
  cgroups = new FakeCgroups(version);
  cgroups.place(JUDGE, CONTAINER);
  cgroups.place(RUNNER, CONTAINER);
  cgroups.place(STRANGER, '/elsewhere');
  manager = new SessionManager({ cgroups, procRoot: proc.root, now: () => clock });
}

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  clock = 10_000;
  proc = await createFakeProc();
  for (const pid of [JUDGE, RUNNER, STRANGER]) await proc.live(pid);
  setUp('v1');
});

afterEach(async () => {
  await manager.shutdown();
  vi.useRealTimers();
  await proc.remove();
});

/** Advances the injected clock and the fake timers together. */
async function advance(ms: number): Promise<void> {
  clock += ms;
  await vi.advanceTimersByTimeAsync(ms);
}

describe('open and attach', () => {
  it('opens a session under the caller cgroup without moving the caller', async () => {
    const session = await manager.open(JUDGE);
    expect(session.id).toMatch(/^[0-9a-f]{32}$/);
    expect(session.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(session.cgroup.path).toBe(`${CONTAINER}/kolejka_observer_${session.id}`);
    expect(session.parentPath).toBe(CONTAINER);
    expect(cgroups.processes.get(JUDGE)).toBe(CONTAINER);
    expect(manager.openCount).toBe(1);
  });

  it('attach without a session opens one with the caller inside', async () => {
    const session = await manager.openAttached(RUNNER);
    expect(cgroups.processes.get(RUNNER)).toBe(session.cgroup.path);
    expect(session.creatorPid).toBe(RUNNER);
  });

  it('attaches a process from the parent cgroup, and nests sessions opened inside sessions', async () => {
    const session = await manager.open(JUDGE);
    await manager.attach(RUNNER, session.id, session.secret);
    expect(cgroups.processes.get(RUNNER)).toBe(session.cgroup.path);
    await manager.attach(RUNNER, session.id, session.secret); // already inside: fine

    const inner = await manager.open(RUNNER);
    expect(inner.cgroup.path).toBe(`${session.cgroup.path}/kolejka_observer_${inner.id}`);
  });

  it('refuses wrong secrets, unknown sessions, missing ids and outsiders, saying which', async () => {
    const session = await manager.open(JUDGE);
    expect(
      await failure(manager.attach(RUNNER, session.id, 'guess'), 'KOLEJKA_FORBIDDEN'),
    ).toContain('secret');
    expect(
      await failure(manager.attach(RUNNER, session.id, undefined), 'KOLEJKA_FORBIDDEN'),
    ).toContain('secret');
    expect(
      await failure(manager.attach(RUNNER, 'f'.repeat(32), session.secret), 'KOLEJKA_NOT_FOUND'),
    ).toContain('unknown session');
    expect(
      await failure(manager.attach(RUNNER, undefined, session.secret), 'KOLEJKA_VALIDATION'),
    ).toContain('session_id');
    const message = await failure(
      manager.attach(STRANGER, session.id, session.secret),
      'KOLEJKA_FORBIDDEN',
    );
    expect(message).toContain('/elsewhere');
    expect(message).toContain(CONTAINER);
    expect(cgroups.processes.get(STRANGER)).toBe('/elsewhere');
  });

  it('detaches back to the parent cgroup', async () => {
    const session = await manager.openAttached(RUNNER);
    await manager.detach(RUNNER, session.id, session.secret);
    expect(cgroups.processes.get(RUNNER)).toBe(CONTAINER);
    await failure(manager.detach(RUNNER, session.id, session.secret), 'KOLEJKA_FORBIDDEN');
  });
});

describe('limits and deadlines', () => {
  it('accepts limits as numbers or grammar strings', async () => {
    const session = await manager.open(JUDGE);
    await manager.setLimits(session.id, session.secret, {
      memory: '67108864b',
      time: '1.5s',
      swap: '0b',
      cpus: 2,
      cpus_offset: 1,
      pids: '16',
    });
    expect(cgroups.groups.get(session.cgroup.path)?.limits).toEqual({
      memory: 67108864,
      swap: 0,
      time: 1.5,
      cpus: 2,
      cpus_offset: 1,
      pids: 16,
    });
    await manager.setLimits(session.id, session.secret, { memory: 1073741824, time: 61.0 });
    expect(session.deadlineAtMs).toBe(session.createdAtMs + 61_000);
  });

  it('names the bad limit', async () => {
    const session = await manager.open(JUDGE);
    expect(
      await failure(
        manager.setLimits(session.id, session.secret, { memory: '64Mi' }),
        'KOLEJKA_VALIDATION',
      ),
    ).toContain('limits: memory "64Mi"');
    expect(
      await failure(manager.setLimits(session.id, session.secret, [1]), 'KOLEJKA_VALIDATION'),
    ).toContain('JSON object');
  });

  it('kills and closes a session at its deadline, measured from creation', async () => {
    const session = await manager.openAttached(RUNNER);
    await advance(200);
    await manager.setLimits(session.id, session.secret, { time: '500m' });
    await advance(299);
    expect(session.isOpen).toBe(true);
    await advance(1);
    expect(session.isOpen).toBe(false);
    expect(session.closeReason).toBe('deadline');
    expect(cgroups.killed).toEqual([RUNNER]);
    expect(cgroups.groups.has(session.cgroup.path)).toBe(false);
    const stats = await manager.stats(session.id);
    expect(stats.time).toBe(0.5);
  });

  it('limits without time clear the deadline; a deadline already past closes at once', async () => {
    const session = await manager.open(JUDGE);
    await manager.setLimits(session.id, session.secret, { time: 1 });
    await manager.setLimits(session.id, session.secret, { memory: '64M' });
    await advance(5000);
    expect(session.isOpen).toBe(true);
    await manager.setLimits(session.id, session.secret, { time: 2 });
    await advance(0);
    expect(session.isOpen).toBe(false);
  });
});

describe('stats and close', () => {
  let session: Session;
  beforeEach(async () => {
    session = await manager.openAttached(RUNNER);
  });

  it('answers unknown ids with empty stats and needs session_id', async () => {
    expect(await manager.stats('0'.repeat(32))).toEqual(emptyStats());
    await failure(manager.stats(undefined), 'KOLEJKA_VALIDATION');
  });

  it('keeps maxima across readings and wall time since creation', async () => {
    const group = cgroups.groups.get(session.cgroup.path);
    if (group === undefined) throw new Error('no group');
    group.stats.memory = { usage: 5000, max_usage: 9000 };
    group.stats.cpu = { usage: 1.25 };
    await advance(750);
    expect((await manager.stats(session.id)).memory).toEqual({ usage: 5000, max_usage: 9000 });
    group.stats.memory = { usage: 10, max_usage: 10 };
    const stats = await manager.stats(session.id);
    expect(stats.memory).toEqual({ usage: 10, max_usage: 9000 });
    expect(stats.cpu.usage).toBe(1.25);
    expect(stats.time).toBe(0.75);
  });

  it('closes (killing), keeps stats for 300 s, and closing twice is fine', async () => {
    cgroups.groups.get(session.cgroup.path)!.stats.memory = { max_usage: 4096 };
    await manager.close(session.id, session.secret);
    expect(cgroups.killed).toEqual([RUNNER]);
    expect(manager.openCount).toBe(0);
    await manager.close(session.id, session.secret);
    await failure(manager.close(session.id, 'wrong'), 'KOLEJKA_FORBIDDEN');
    expect(
      await failure(manager.setLimits(session.id, session.secret, {}), 'KOLEJKA_NOT_FOUND'),
    ).toContain('is closed');
    await advance(299_000);
    await manager.housekeeping();
    expect((await manager.stats(session.id)).memory.max_usage).toBe(4096);
    await advance(1000);
    await manager.housekeeping();
    expect(await manager.stats(session.id)).toEqual(emptyStats());
  });

  it('freezes, thaws and kills without closing', async () => {
    await manager.freeze(session.id, session.secret);
    expect(cgroups.groups.get(session.cgroup.path)?.frozen).toBe(true);
    await manager.thaw(session.id, session.secret);
    expect(cgroups.groups.get(session.cgroup.path)?.frozen).toBe(false);
    await manager.kill(session.id, session.secret);
    expect(cgroups.killed).toEqual([RUNNER]);
    expect(session.isOpen).toBe(true);
  });
});

describe('housekeeping', () => {
  it('closes a session whose creator is gone once it is empty', async () => {
    const session = await manager.open(JUDGE);
    await manager.attach(RUNNER, session.id, session.secret);
    await proc.gone(JUDGE);
    await manager.housekeeping();
    expect(session.isOpen).toBe(true);
    cgroups.processes.delete(RUNNER);
    await manager.housekeeping();
    expect(session.isOpen).toBe(false);
    expect(session.closeReason).toBe('abandoned');
  });

  it('treats a reused pid (other start time) as a gone creator', async () => {
    const session = await manager.open(JUDGE);
    await proc.live(JUDGE, 2000);
    await manager.housekeeping();
    expect(session.closeReason).toBe('abandoned');
  });

  it('runs by itself every second once started', async () => {
    const session = await manager.open(JUDGE);
    manager.start();
    await proc.gone(JUDGE);
    await advance(1000);
    await vi.waitFor(() => expect(session.isOpen).toBe(false));
  });

  it('closes everything at shutdown and refuses new sessions', async () => {
    const first = await manager.open(JUDGE);
    const second = await manager.openAttached(RUNNER);
    await manager.shutdown();
    expect([first.closeReason, second.closeReason]).toEqual(['shutdown', 'shutdown']);
    await failure(manager.open(JUDGE), 'KOLEJKA_UNAVAILABLE');
  });
});

describe('cgroup v2', () => {
  beforeEach(async () => {
    await manager.shutdown();
    setUp('v2');
  });

  it('moves the caller cgroup processes into a leaf so sessions can have controllers', async () => {
    const session = await manager.open(JUDGE);
    const leaf = `${CONTAINER}/${PROCESSES_LEAF}`;
    expect(cgroups.processes.get(JUDGE)).toBe(leaf);
    expect(cgroups.processes.get(RUNNER)).toBe(leaf);
    expect(session.parentPath).toBe(CONTAINER);
    // The judge, now in the leaf, opens more sessions beside the first, not inside the leaf.
    const second = await manager.open(JUDGE);
    expect(second.cgroup.path).toBe(`${CONTAINER}/kolejka_observer_${second.id}`);
    await manager.attach(RUNNER, session.id, session.secret);
    expect(cgroups.processes.get(RUNNER)).toBe(session.cgroup.path);
    await manager.detach(RUNNER, session.id, session.secret);
    expect(cgroups.processes.get(RUNNER)).toBe(leaf);
  });
});

describe('memory peak on kernels without memory.peak (before 5.19)', () => {
  it('samples the usage of an open session, so the peak survives the solution', async () => {
    const session = await manager.open(JUDGE);
    const group = cgroups.groups.get(session.cgroup.path);
    if (group === undefined) throw new Error('no group');
    // What CgroupV2.readStats gives without memory.peak: a usage, no max_usage.
    group.stats.memory = { usage: 1000 };
    expect((await manager.stats(session.id)).memory).toEqual({ usage: 1000, max_usage: 1000 });
    group.stats.memory = { usage: 64 * 1024 * 1024 };
    await advance(100);
    group.stats.memory = { usage: 2000 };
    await advance(100);
    expect((await manager.stats(session.id)).memory).toEqual({
      usage: 2000,
      max_usage: 64 * 1024 * 1024,
    });
    // A closed session is no longer read.
    await manager.close(session.id, session.secret);
    group.stats.memory = { usage: 128 * 1024 * 1024 };
    await advance(300);
    expect((await manager.stats(session.id)).memory.max_usage).toBe(64 * 1024 * 1024);
  });
});

describe('the stats named as sampled (no peak counter in the kernel)', () => {
  it('names only the peaks the readings lack, and samples them (pids.peak came in 6.1)', async () => {
    const session = await manager.open(JUDGE);
    const group = cgroups.groups.get(session.cgroup.path);
    if (group === undefined) throw new Error('no group');
    expect(manager.sampledStats(session.id)).toEqual([]);
    // Linux 5.19 or 6.0 on v2: memory.peak is there, pids.peak is not.
    group.stats.memory = { usage: 1000, max_usage: 4000 };
    group.stats.pids = { usage: 2 };
    await manager.stats(session.id);
    expect(manager.sampledStats(session.id)).toEqual(['pids.max_usage']);
    group.stats.pids = { usage: 9 };
    await advance(100);
    group.stats.pids = { usage: 1 };
    expect((await manager.stats(session.id)).pids.max_usage).toBe(9);
    // Still said after the close, while its stats are kept; unknown ids have none.
    await manager.close(session.id, session.secret);
    expect(manager.sampledStats(session.id)).toEqual(['pids.max_usage']);
    expect(manager.sampledStats('0'.repeat(32))).toEqual([]);
    expect(manager.sampledStats(undefined)).toEqual([]);
  });
});
