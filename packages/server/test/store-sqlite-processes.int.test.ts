import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { spawnStoreChild, type StoreChild } from './store-child-process.js';
import { makeTask } from './store-fixtures.js';

/** Several processes on one SQLite file: real races in the engine, and a kill mid-write. */
describe('SQLite store across processes', () => {
  let dir: string;
  let file: string;
  const children: StoreChild[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kolejka-store-proc-'));
    file = path.join(dir, 'kolejka.sqlite3');
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null)
        child.process.kill('SIGKILL');
      await child.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('20 claimers in 5 processes never assign a task twice', { timeout: 120_000 }, async () => {
    const setup = await openSqliteStore({ path: file });
    const keys: string[] = [];
    // Enough tasks that the race outlasts the skew of the processes' starts on a loaded
    // machine (one process alone claims a hundred in tens of milliseconds).
    for (let i = 0; i < 600; i++) {
      const task = makeTask({ createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)) });
      await setup.createTask(task);
      keys.push(task.key);
    }
    await setup.close();

    for (let p = 0; p < 5; p++) children.push(spawnStoreChild(['claim', file, '2', '2']));
    await Promise.all(
      children.map((child) => child.waitForLine((line) => line === 'ready', 60_000)),
    );
    // All start together, so the claims overlap.
    for (const child of children) child.process.stdin.end('go\n');
    const reports = await Promise.all(
      children.map(async (child) => {
        const line = await child.waitForLine((l) => l.startsWith('{'), 60_000);
        expect(await child.exited, child.stderr()).toBe(0);
        return JSON.parse(line) as Record<string, string[]>;
      }),
    );

    const byClaimer = Object.assign({}, ...reports) as Record<string, string[]>;
    expect(Object.keys(byClaimer)).toHaveLength(20);
    const claimed = Object.values(byClaimer).flat();
    expect(claimed).toHaveLength(keys.length);
    expect(new Set(claimed).size).toBe(keys.length);
    expect([...claimed].sort()).toEqual([...keys].sort());
    // More than one process won tasks: the claims really raced.
    const winningProcesses = new Set(
      Object.entries(byClaimer)
        .filter(([, won]) => won.length > 0)
        .map(([name]) => name.split('-')[1]),
    );
    expect(winningProcesses.size, JSON.stringify(byClaimer)).toBeGreaterThan(1);

    const check = await openSqliteStore({ path: file });
    try {
      for (const [claimer, won] of Object.entries(byClaimer))
        for (const key of won)
          expect(await check.getTask(key)).toMatchObject({
            state: 'assigned',
            attempt: 1,
            assignee: claimer,
          });
      const claims = (await check.readEvents(0, 5000)).filter((e) => e.state === 'assigned');
      expect(claims).toHaveLength(keys.length);
    } finally {
      await check.close();
    }
  });

  it(
    'keeps every acknowledged task when the writer is killed mid-burst',
    { timeout: 120_000 },
    async () => {
      const child = spawnStoreChild(['burst', file]);
      children.push(child);
      await child.waitForLine((line) => line === 'ready', 60_000);
      await child.waitForLine(() => child.lines.length > 401, 60_000);
      child.process.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      const acknowledged = child.lines.filter((line) => line !== 'ready');
      expect(acknowledged.length).toBeGreaterThan(400);

      let store: SqliteStore | undefined;
      try {
        store = await openSqliteStore({ path: file });
        expect(await store.checkIntegrity()).toEqual([]);
        for (const key of acknowledged) {
          const task = await store.getTask(key);
          expect(task).toMatchObject({ key, state: 'queued', owner: 'burst' });
          expect(task?.spec.id).toBe(key);
        }
        // Each task's event is there too (same transaction).
        const events = [];
        for (let page = await store.readEvents(0, 1000); page.length > 0;) {
          events.push(...page);
          page = await store.readEvents(page.at(-1)!.seq, 1000);
        }
        const logged = new Set(events.map((e) => e.taskKey));
        expect(acknowledged.every((key) => logged.has(key))).toBe(true);
        const counts = await store.countTasksByState();
        expect(counts.queued).toBe(events.length);
        expect(counts.queued).toBeGreaterThanOrEqual(acknowledged.length);
      } finally {
        await store?.close();
      }
    },
  );
});
