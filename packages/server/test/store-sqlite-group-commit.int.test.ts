import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKolejkaError, type ErrorCode } from '@kolejka/spec';
import { SqliteDb } from '../src/store/sqlite/sqlite-db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import {
  MAX_WRITES_PER_TRANSACTION,
  SqliteWriteBatch,
} from '../src/store/sqlite/sqlite-write-batch.js';
import { at, expectKolejkaError, makeResult, makeTask } from './store-fixtures.js';

/** The group commit of the SQLite engine: writes of one turn share one transaction, isolated. */
describe('SQLite group commit', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;
  const claim = (key: string, assignee = 'f1') =>
    store.claimTask(key, { assignee, leaseExpiresAt: at(60), now: at(1) });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kolejka-group-commit-'));
    file = path.join(dir, 'kolejka.sqlite3');
    store = await openSqliteStore({ path: file, busyTimeoutMs: 100 });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the writes issued in one turn in one transaction, each getting its own answer', async () => {
    const tasks = Array.from({ length: 20 }, () => makeTask());
    const before = store.writeStats.transactions;
    await Promise.all(tasks.map((task) => store.createTask(task)));
    expect(store.writeStats.transactions - before).toBe(1);

    // Claims of different tasks, and two claims of one task: the first wins, the second
    // sees the task taken — inside the same transaction, as if they had run one by one.
    const [first, second] = tasks;
    const claims = await Promise.all([
      ...tasks.map((task, i) => claim(task.key, `f${i}`)),
      claim(first?.key ?? '', 'late'),
    ]);
    expect(store.writeStats.transactions - before).toBe(2);
    expect(claims.slice(0, 20).map((task) => [task?.key, task?.assignee, task?.attempt])).toEqual(
      tasks.map((task, i) => [task.key, `f${i}`, 1]),
    );
    expect(claims[20]).toBeUndefined();

    // Start and finish of one task in one turn: in order.
    const key = second?.key ?? '';
    const [started, finished] = await Promise.all([
      store.startTask(key, 1, at(2)),
      store.finishTask(key, 1, makeResult(key, 1), at(3)),
    ]);
    expect(started?.state).toBe('running');
    expect(finished).toMatchObject({ outcome: 'stored', task: { state: 'finished' } });
    expect(store.writeStats.transactions - before).toBe(3);
    expect(store.writeStats.largestBatch).toBeGreaterThanOrEqual(21);
  });

  it("isolates one write's refusal or error from the others of its transaction", async () => {
    const existing = makeTask();
    await store.createTask(existing);
    const fresh = makeTask();
    const missingBlob = makeTask({ files: { 'a.txt': 'f'.repeat(64) } });
    const before = store.writeStats.transactions;
    const [created, duplicate, unknownBlob, claimed] = await Promise.allSettled([
      store.createTask(fresh),
      store.createTask(existing),
      store.createTask(missingBlob),
      claim(existing.key),
    ]);
    expect(store.writeStats.transactions - before).toBe(1);
    expect(created.status).toBe('fulfilled');
    expectRefused(duplicate, 'KOLEJKA_CONFLICT', /exists/);
    expectRefused(
      unknownBlob,
      'KOLEJKA_NOT_FOUND',
      /"a\.txt" names blob f{64}, which is not stored/,
    );
    expect(claimed).toMatchObject({ status: 'fulfilled', value: { attempt: 1 } });
    expect(await store.getTask(fresh.key)).toMatchObject({ state: 'queued' });
    expect(await store.getTask(missingBlob.key)).toBeUndefined();
    // The log has exactly the events of what was done.
    const events = await store.readEvents(0, 100);
    expect(events.map((event) => [event.taskKey, event.state])).toEqual([
      [existing.key, 'queued'],
      [fresh.key, 'queued'],
      [existing.key, 'assigned'],
    ]);
  });

  it('rolls back what a failing write did before it failed, and only that', async () => {
    const db = new SqliteDb(path.join(dir, 'raw.sqlite3'), 100);
    try {
      db.connection.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
      let commits = 0;
      const batch = new SqliteWriteBatch(db, () => commits++);
      const insert = (v: string) => db.run('INSERT INTO t (v) VALUES (@v)', { v });
      const results = await Promise.allSettled([
        batch.enqueue('a', () => insert('a').changes),
        batch.enqueue('b', () => {
          insert('b1');
          insert('b2');
          throw new Error('b failed half-way');
        }),
        // A nested write() inside a batched write is part of its savepoint.
        batch.enqueue('c', () => db.write(() => insert('c').changes)),
        batch.enqueue('d', () => insert('a')), // a constraint error
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
      ]);
      expect(rejection(results[1])).toMatchObject({ message: 'b failed half-way' });
      expect(String(rejection(results[3]))).toMatch(/UNIQUE/);
      expect(db.all<{ v: string }>('SELECT v FROM t ORDER BY v').map((row) => row.v)).toEqual([
        'a',
        'c',
      ]);
      expect(commits).toBe(1);
      expect(batch.stats).toMatchObject({ transactions: 1, writes: 4, largestBatch: 4 });
    } finally {
      db.close();
    }
  });

  it('bounds the transaction size', async () => {
    const count = MAX_WRITES_PER_TRANSACTION + 10;
    const before = store.writeStats.transactions;
    await Promise.all(Array.from({ length: count }, () => store.createTask(makeTask())));
    expect(store.writeStats.transactions - before).toBe(2);
    expect(store.writeStats.largestBatch).toBe(MAX_WRITES_PER_TRANSACTION);
    expect((await store.countTasksByState()).queued).toBe(count);
  });

  it('answers nothing before the commit; a read sees the writes issued before it', async () => {
    const task = makeTask();
    let isAnswered = false;
    const creating = store.createTask(task).then(() => (isAnswered = true));
    // Another connection sees nothing yet, and the caller has no answer.
    const other = new Database(file, { readonly: true });
    try {
      const count = () => other.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number };
      expect(count().n).toBe(0);
      await Promise.resolve();
      expect(isAnswered).toBe(false);
      // A read of this store runs after the writes issued before it.
      expect((await store.getTask(task.key))?.state).toBe('queued');
      expect(count().n).toBe(1);
      await creating;
      expect(isAnswered).toBe(true);
    } finally {
      other.close();
    }
  });

  it('fails every write of a transaction that cannot start, and recovers', async () => {
    const holder = new Database(file);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const writes = await Promise.allSettled([
        store.createTask(makeTask()),
        store.createTask(makeTask()),
      ]);
      for (const write of writes)
        expectRefused(write, 'KOLEJKA_UNAVAILABLE', /create a task: the SQLite .* stayed locked/);
      holder.exec('ROLLBACK');
      await store.createTask(makeTask());
      expect((await store.countTasksByState()).queued).toBe(1);
    } finally {
      holder.close();
    }
  });

  it('commits the writes issued before close, and refuses those after', async () => {
    const task = makeTask();
    const creating = store.createTask(task);
    await store.close();
    await creating;
    await expectKolejkaError(store.createTask(makeTask()), 'KOLEJKA_UNAVAILABLE', /closed/);
    store = await openSqliteStore({ path: file });
    expect((await store.getTask(task.key))?.state).toBe('queued');
  });
});

function expectRefused(
  result: PromiseSettledResult<unknown> | undefined,
  code: ErrorCode,
  message: RegExp,
): void {
  const reason = rejection(result);
  expect(isKolejkaError(reason) ? reason.code : String(reason)).toBe(code);
  expect((reason as Error).message).toMatch(message);
}

function rejection(result: PromiseSettledResult<unknown> | undefined): unknown {
  if (result?.status !== 'rejected') throw new Error(`expected a rejection, got ${result?.status}`);
  return result.reason;
}
