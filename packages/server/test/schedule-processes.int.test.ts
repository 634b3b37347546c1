import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTask, newKey } from './store-fixtures.js';
import { spawnStoreChild, type StoreChild } from './store-child-process.js';

/**
 * Schedule runners in separate PROCESSES on one SQLite file, on a fake clock each is told
 * (test/store-child.ts `schedules`): every tick of a `* * * * *` schedule fires exactly once
 * between two processes, and across a restart the missed ticks within the window fire once.
 */
const T0 = new Date('2025-06-01T10:00:00.000Z');
const minute = (n: number, seconds = 0): string =>
  new Date(T0.getTime() + n * 60_000 + seconds * 1000).toISOString();

let dir: string;
let file: string;
let scheduleId: string;
const children: StoreChild[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-schedule-processes-'));
  file = path.join(dir, 'kolejka.sqlite');
  const store = await openSqliteStore({ path: file });
  const { id: _id, ...spec } = makeTask().spec;
  scheduleId = newKey();
  await store.createUser({ username: 'alice', roles: ['client'], createdAt: T0 });
  await store.createSchedule({
    id: scheduleId,
    owner: 'alice',
    cron: '* * * * *',
    timezone: 'UTC',
    spec,
    priority: 0,
    overlap: 'allow',
    isPaused: false,
    firedCount: 0,
    skippedCount: 0,
    createdAt: T0,
    updatedAt: T0,
  });
  await store.close();
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(children.map((child) => child.exited));
  await rm(dir, { recursive: true, force: true });
});

async function startRunner(): Promise<StoreChild> {
  const child = spawnStoreChild(['schedules', file]);
  children.push(child);
  await child.waitForLine((line) => line === 'ready');
  return child;
}

/** Tells every child the same time at once; the task keys each fired. */
async function tickAll(runners: StoreChild[], at: string): Promise<string[][]> {
  for (const child of runners) child.process.stdin.write(`at ${at}\n`);
  const replies = await Promise.all(
    runners.map((child) => child.waitForLine((line) => line.includes(`"at":"${at}"`))),
  );
  return replies.map((line) => (JSON.parse(line) as { fired: string[] }).fired);
}

describe('schedule runners in two processes on one SQLite file', () => {
  it('fire each tick exactly once, and once after a restart for the missed ticks', async () => {
    const [a, b] = await Promise.all([startRunner(), startRunner()]);
    const fired: string[] = [];
    for (let n = 1; n <= 6; n++) {
      const keys = await tickAll([a, b], minute(n, 0.05));
      expect(keys.flat()).toHaveLength(1);
      fired.push(...keys.flat());
    }

    // Both die (one killed mid-life); ten minutes pass; two new processes start at once.
    a.process.kill('SIGKILL');
    b.process.stdin.end();
    await Promise.all([a.exited, b.exited]);
    const [c, d] = await Promise.all([startRunner(), startRunner()]);
    const caughtUp = await tickAll([c, d], minute(16, 20));
    expect(caughtUp.flat()).toHaveLength(1);
    fired.push(...caughtUp.flat());
    expect((await tickAll([c, d], minute(16, 40))).flat()).toHaveLength(0);
    const next = await tickAll([c, d], minute(17, 0.05));
    expect(next.flat()).toHaveLength(1);
    fired.push(...next.flat());

    const store = await openSqliteStore({ path: file });
    try {
      const tasks = (await store.listTasks({}, 1000)).items.filter(
        (task) => task.schedule === scheduleId,
      );
      expect(tasks.map((task) => task.key).sort()).toEqual([...fired].sort());
      expect(tasks).toHaveLength(8);
      expect(await store.getSchedule(scheduleId)).toMatchObject({
        firedCount: 8,
        lastTickAt: new Date(minute(17)),
      });
    } finally {
      await store.close();
    }
  });
});
