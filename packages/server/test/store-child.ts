/**
 * A separate process using the SQLite store, for tests that need real concurrency between
 * processes or a process killed mid-write (run by store-child-process.ts, not by vitest).
 *
 *   claim FILE INSTANCES CLAIMERS_PER_INSTANCE   waits for "go" on stdin, then its claimers
 *       race for the queued tasks; prints {"claimer-P-I": [keys]} as JSON.
 *   burst FILE   creates tasks as fast as it can, printing each key after its create returned.
 *   schedules FILE   a ScheduleRunner on a fake clock: each stdin line `at ISO-TIME` sets the
 *       clock and runs one pass; prints {"at": …, "fired": [task keys]} as JSON.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { ScheduleRunner } from '../src/schedules/schedule-runner.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store, TaskRecord } from '../src/store/store.js';

const [mode = '', file = '', ...rest] = process.argv.slice(2);

function newTask(): TaskRecord {
  const key = randomUUID().replaceAll('-', '');
  const now = new Date();
  return {
    key,
    owner: 'burst',
    spec: {
      id: key,
      image: 'kolejka-test/busybox:latest',
      requires: [],
      limits: {},
      environment: {},
      args: ['true'],
      files: {},
      collect: [],
    },
    state: 'queued',
    priority: 0,
    attempt: 0,
    lostCount: 0,
    maxAttempts: 3,
    createdAt: now,
    updatedAt: now,
  };
}

async function claim(): Promise<void> {
  const instances = Number(rest[0] ?? '1');
  const claimersPerInstance = Number(rest[1] ?? '1');
  const stores: Store[] = [];
  for (let i = 0; i < instances; i++) stores.push(await openSqliteStore({ path: file }));
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin }))
    if (line.trim() === 'go') break;
  // An open stdin would keep this process alive after its report.
  process.stdin.destroy();
  const won: Record<string, string[]> = {};
  await Promise.all(
    stores.flatMap((store, i) =>
      Array.from({ length: claimersPerInstance }, async (_, j) => {
        const name = `claimer-${process.pid}-${i}-${j}`;
        const mine: string[] = (won[name] = []);
        for (;;) {
          const queued = await store.listQueuedTasks(20);
          if (queued.length === 0) return;
          for (const task of queued) {
            const claimed = await store.claimTask(task.key, {
              assignee: name,
              leaseExpiresAt: new Date(Date.now() + 60_000),
              now: new Date(),
            });
            if (claimed !== undefined) mine.push(task.key);
            // Let the other claimers of this process take turns between claims.
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      }),
    ),
  );
  for (const store of stores) await store.close();
  process.stdout.write(`${JSON.stringify(won)}\n`);
}

async function burst(): Promise<void> {
  const store = await openSqliteStore({ path: file });
  process.stdout.write('ready\n');
  for (;;) {
    const task = newTask();
    await store.createTask(task);
    // Written synchronously (stdout is a pipe): a printed key is a key whose create returned.
    process.stdout.write(`${task.key}\n`);
  }
}

async function schedules(): Promise<void> {
  const store = await openSqliteStore({ path: file });
  let now = new Date(0);
  const runner = new ScheduleRunner({
    store,
    clock: () => now,
    settings: { maxAttempts: 3, scheduleCatchUpMs: 3_600_000, schedulePollMs: 5000 },
  });
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, at] = line.trim().split(' ');
    if (command !== 'at' || at === undefined) continue;
    now = new Date(at);
    const pass = await runner.runDue();
    process.stdout.write(`${JSON.stringify({ at, fired: pass.fired.map((task) => task.key) })}\n`);
  }
  await runner.close();
  await store.close();
}

switch (mode) {
  case 'schedules':
    await schedules();
    break;
  case 'claim':
    await claim();
    break;
  case 'burst':
    await burst();
    break;
  default:
    process.stderr.write(`unknown mode ${JSON.stringify(mode)}\n`);
    process.exitCode = 2;
}
