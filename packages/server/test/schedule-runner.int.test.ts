import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScheduleRunner, type RunnerTimers } from '../src/schedules/schedule-runner.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { ScheduleRecord, Store } from '../src/store/store.js';
import { makeTask, newKey } from './store-fixtures.js';

/** The ScheduleRunner over a real SQLite file, with a fake clock (and fake timers). */
const T0 = new Date('2025-06-01T10:00:00.000Z');
const minute = (n: number, seconds = 0): Date =>
  new Date(T0.getTime() + n * 60_000 + seconds * 1000);

let dir: string;
let store: Store;
let now: Date;
const clock = (): Date => now;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-schedule-runner-'));
  store = await openSqliteStore({ path: path.join(dir, 'kolejka.sqlite') });
  await store.createUser({ username: 'alice', roles: ['client'], createdAt: T0 });
  now = T0;
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function addSchedule(overrides: Partial<ScheduleRecord> = {}): Promise<ScheduleRecord> {
  const { id: _id, ...spec } = makeTask().spec;
  const schedule: ScheduleRecord = {
    id: newKey(),
    owner: 'alice',
    cron: '* * * * *',
    timezone: 'UTC',
    spec,
    priority: 3,
    overlap: 'allow',
    isPaused: false,
    firedCount: 0,
    skippedCount: 0,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
  await store.createSchedule(schedule);
  return schedule;
}

function runner(s: Store = store, catchUpMs = 3_600_000, timers?: RunnerTimers): ScheduleRunner {
  return new ScheduleRunner({
    store: s,
    clock,
    settings: { maxAttempts: 3, scheduleCatchUpMs: catchUpMs, schedulePollMs: 5000 },
    ...(timers === undefined ? {} : { timers }),
  });
}

async function scheduledTasks(id: string): Promise<{ key: string; createdAt: Date }[]> {
  const page = await store.listTasks({}, 1000);
  return page.items.filter((task) => task.schedule === id);
}

describe('ScheduleRunner with a fake clock', () => {
  it('fires a * * * * * schedule once per tick, a queued task recording the schedule', async () => {
    const schedule = await addSchedule();
    const r = runner();
    // Before the first tick: nothing, and the next tick is named.
    now = minute(0, 30);
    expect(await r.runDue()).toMatchObject({ fired: [], nextDueAt: minute(1) });
    for (const n of [1, 2, 3, 4]) {
      now = minute(n, 0.2);
      const pass = await r.runDue();
      expect(pass.fired).toHaveLength(1);
      expect(pass.fired[0]).toMatchObject({
        state: 'queued',
        schedule: schedule.id,
        owner: 'alice',
        priority: 3,
        spec: { id: pass.fired[0]?.key },
      });
      expect(pass.nextDueAt).toEqual(minute(n + 1));
      // The same tick again, a second later: nothing more.
      now = minute(n, 1);
      expect((await r.runDue()).fired).toHaveLength(0);
    }
    expect(await scheduledTasks(schedule.id)).toHaveLength(4);
    expect(await store.getSchedule(schedule.id)).toMatchObject({
      firedCount: 4,
      lastTickAt: minute(4),
    });
  });

  it('two runners on two connections fire each tick exactly once', async () => {
    const other = await openSqliteStore({ path: path.join(dir, 'kolejka.sqlite') });
    try {
      const schedule = await addSchedule();
      const a = runner(store);
      const b = runner(other);
      let fired = 0;
      for (let n = 1; n <= 5; n++) {
        now = minute(n, 0.1);
        const passes = await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
        const firedNow = passes.reduce((sum, pass) => sum + pass.fired.length, 0);
        expect(firedNow).toBe(1);
        fired += firedNow;
      }
      expect(fired).toBe(5);
      expect(await scheduledTasks(schedule.id)).toHaveLength(5);
    } finally {
      await other.close();
    }
  });

  it('after a restart, fires the missed ticks within the window once, and none twice', async () => {
    const schedule = await addSchedule();
    now = minute(1, 0.1);
    expect((await runner().runDue()).fired).toHaveLength(1);
    // Down for 10 minutes (ticks 2..11 missed); a new runner fires once, for the latest tick.
    now = minute(11, 30);
    const restarted = runner();
    const pass = await restarted.runDue();
    expect(pass.fired).toHaveLength(1);
    expect(await store.getSchedule(schedule.id)).toMatchObject({
      lastTickAt: minute(11),
      firedCount: 2,
    });
    expect((await runner().runDue()).fired).toHaveLength(0);
    now = minute(12, 0.1);
    expect((await restarted.runDue()).fired).toHaveLength(1);
    expect(await scheduledTasks(schedule.id)).toHaveLength(3);
  });

  it('skips missed ticks older than the catch-up window, then fires the next one', async () => {
    const schedule = await addSchedule({ cron: '0 * * * *' });
    now = minute(60, 1);
    expect((await runner(store, 30 * 60_000).runDue()).fired).toHaveLength(1);
    // Down from 11:00 to 14:45: the latest missed tick (14:00) is 45 min old, window 30 min.
    now = minute(4 * 60 + 45);
    const r = runner(store, 30 * 60_000);
    const pass = await r.runDue();
    expect(pass).toMatchObject({ fired: [], nextDueAt: minute(5 * 60) });
    now = minute(5 * 60, 2);
    expect((await r.runDue()).fired).toHaveLength(1);
    expect(await scheduledTasks(schedule.id)).toHaveLength(2);
  });

  it('with overlap skip, consumes ticks while the last task runs', async () => {
    const schedule = await addSchedule({ overlap: 'skip' });
    const r = runner();
    now = minute(1, 0.1);
    const first = (await r.runDue()).fired[0];
    expect(first).toBeDefined();
    now = minute(2, 0.1);
    const pass = await r.runDue();
    expect(pass.fired).toHaveLength(0);
    expect(pass.skipped).toHaveLength(1);
    await store.cancelTask(first?.key ?? '', 'test', now);
    now = minute(3, 0.1);
    expect((await r.runDue()).fired).toHaveLength(1);
    expect(await store.getSchedule(schedule.id)).toMatchObject({ firedCount: 2, skippedCount: 1 });
  });

  it('submits nothing for a schedule whose owner was removed', async () => {
    const schedule = await addSchedule();
    await store.removeUser('alice');
    now = minute(1, 0.1);
    expect((await runner().runDue()).fired).toHaveLength(0);
    expect(await store.getSchedule(schedule.id)).toMatchObject({ firedCount: 0 });
    expect(await scheduledTasks(schedule.id)).toHaveLength(0);
  });

  it('reads the expression in the schedule time zone', async () => {
    // 02:30 every day in Warsaw (UTC+2 in June) is 00:30 UTC.
    const schedule = await addSchedule({ cron: '30 2 * * *', timezone: 'Europe/Warsaw' });
    now = new Date('2025-06-02T00:29:00.000Z');
    expect(await runner().runDue()).toMatchObject({
      fired: [],
      nextDueAt: new Date('2025-06-02T00:30:00.000Z'),
    });
    now = new Date('2025-06-02T00:30:05.000Z');
    expect((await runner().runDue()).fired).toHaveLength(1);
    expect((await store.getSchedule(schedule.id))?.lastTickAt).toEqual(
      new Date('2025-06-02T00:30:00.000Z'),
    );
  });

  it('arms its timer for the next tick and re-arms when told of a change', async () => {
    await addSchedule();
    const armed: number[] = [];
    const pending: (() => void)[] = [];
    const timers: RunnerTimers = {
      setTimeout: (fn, ms) => {
        armed.push(ms);
        pending.push(fn);
        return pending.length;
      },
      clearTimeout: () => undefined,
    };
    now = minute(0, 58);
    const r = runner(store, 3_600_000, timers);
    r.start();
    expect(armed).toEqual([0]);
    pending.shift()?.();
    await until(() => armed.length === 2);
    // 2 s to the tick at minute 1 (under the 5 s poll).
    expect(armed[1]).toBe(2000);
    now = minute(1, 0.5);
    pending.shift()?.();
    await until(() => armed.length === 3);
    expect(await store.listTasks({}, 10)).toMatchObject({ items: [{ state: 'queued' }] });
    expect(armed[2]).toBe(5000);
    r.notifyChanged();
    expect(armed[3]).toBe(0);
    await r.close();
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
