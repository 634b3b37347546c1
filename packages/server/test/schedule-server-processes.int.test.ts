import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/blobs/open-storage.js';
import type { ScheduleRecord, Store } from '../src/store/store.js';
import { makeTask, newKey } from './store-fixtures.js';
import { spawnServer, type ServerProcess } from './support/server-process.js';
import { TIME_SLACK } from '../../../test/support/time-slack.js';

/**
 * Two real `kolejka-server serve` PROCESSES on one SQLite file, started after ticks were
 * missed: the latest missed tick within --schedule-catch-up fires once (not once per
 * process, not once per missed tick), one older than the window not at all, and a restart
 * of both fires nothing more. Yearly expressions keep a new tick from coming during the test.
 */
let home: string;
const servers: ServerProcess[] = [];
const recent = newKey();
const ancient = newKey();

function schedule(id: string, cron: string, createdAt: Date): ScheduleRecord {
  const { id: _id, ...spec } = makeTask().spec;
  return {
    id,
    owner: 'alice',
    cron,
    timezone: 'UTC',
    spec,
    priority: 0,
    overlap: 'allow',
    isPaused: false,
    firedCount: 0,
    skippedCount: 0,
    createdAt,
    updatedAt: createdAt,
  };
}

async function withStore<T>(body: (store: Store) => Promise<T>): Promise<T> {
  const { store, blobs } = await openStorage({ home });
  try {
    return await body(store);
  } finally {
    await store.close();
    await blobs.close();
  }
}

const scheduledTasks = (store: Store): Promise<string[]> =>
  store
    .listTasks({ owner: 'alice' }, 1000)
    .then((page) => page.items.filter((task) => task.schedule !== undefined).map((t) => t.key));

async function startBoth(): Promise<ServerProcess[]> {
  const started = await Promise.all(
    [0, 1].map(() =>
      spawnServer(['--home', home, '--schedule-catch-up', '400D', '--log-level', 'warn']),
    ),
  );
  servers.push(...started);
  return started;
}

async function stop(processes: ServerProcess[]): Promise<void> {
  for (const server of processes) server.process.kill('SIGTERM');
  await Promise.all(processes.map((server) => server.exited));
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-schedule-servers-'));
  const now = Date.now();
  await withStore(async (store) => {
    await store.createUser({ username: 'alice', roles: ['client'], createdAt: new Date(now) });
    // @yearly's latest tick (1 January) is within 400 days; 29 February's (2024 or
    // earlier) is not.
    await store.createSchedule(schedule(recent, '@yearly', new Date(now - 800 * 86_400_000)));
    await store.createSchedule(schedule(ancient, '0 0 29 2 *', new Date(now - 3000 * 86_400_000)));
  });
}, 60_000);
afterAll(async () => {
  for (const server of servers)
    if (server.process.exitCode === null && server.process.signalCode === null)
      server.process.kill('SIGKILL');
  await Promise.all(servers.map((server) => server.exited));
  await rm(home, { recursive: true, force: true });
});

describe('two server processes started after missed ticks', () => {
  it('fire the latest tick within the window once, and nothing more after a restart', async () => {
    const first = await startBoth();
    const deadline = Date.now() + 10_000 * TIME_SLACK;
    let keys: string[] = [];
    while (keys.length === 0 && Date.now() < deadline) {
      keys = await withStore(scheduledTasks);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(keys).toHaveLength(1);
    // The first firing is seen; give the other process's start pass time to race for the
    // same tick (it must find it consumed), then restart both.
    await new Promise((resolve) => setTimeout(resolve, 1000 * TIME_SLACK));
    await stop(first);
    const second = await startBoth();
    await new Promise((resolve) => setTimeout(resolve, 1500 * TIME_SLACK));
    await stop(second);
    await withStore(async (store) => {
      expect(await scheduledTasks(store)).toEqual(keys);
      const fired = await store.getSchedule(recent);
      expect(fired).toMatchObject({ firedCount: 1, lastTaskKey: keys[0] });
      expect(fired?.lastTickAt?.toISOString()).toMatch(/^\d{4}-01-01T00:00:00\.000Z$/);
      expect(await store.getTask(keys[0] ?? '')).toMatchObject({ schedule: recent });
      expect(await store.getSchedule(ancient)).toMatchObject({ firedCount: 0 });
      expect((await store.getSchedule(ancient))?.lastTickAt).toBeUndefined();
    });
  });
});
