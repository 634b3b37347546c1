import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTask } from '../test/store-fixtures.js';

/**
 * What `synchronous=FULL` (the default: an acknowledged task survives a power cut) costs
 * against `NORMAL` (survives a crash of the process only), on a real SQLite file in the
 * temp directory: `pnpm exec vitest bench --run --project server store-sync` from the
 * repository root. One createTask awaited at a time is the worst case (one COMMIT, so one
 * fsync, each); 64 issued together share one COMMIT (group commit).
 */
let dir = '';
const stores: Record<'full' | 'normal', SqliteStore | undefined> = {
  full: undefined,
  normal: undefined,
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-bench-sync-'));
  for (const synchronous of ['full', 'normal'] as const)
    stores[synchronous] = await openSqliteStore({
      path: path.join(dir, `${synchronous}.sqlite3`),
      synchronous,
    });
});
function storeOf(synchronous: 'full' | 'normal'): SqliteStore {
  const store = stores[synchronous];
  if (store === undefined) throw new Error('the store is not open');
  return store;
}

afterAll(async () => {
  for (const store of Object.values(stores)) await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createTask, one at a time', () => {
  bench('synchronous=NORMAL', async () => {
    await storeOf('normal').createTask(makeTask());
  });
  bench('synchronous=FULL', async () => {
    await storeOf('full').createTask(makeTask());
  });
});

describe('createTask, 64 together (one group commit)', () => {
  bench('synchronous=NORMAL', async () => {
    await Promise.all(Array.from({ length: 64 }, () => storeOf('normal').createTask(makeTask())));
  });
  bench('synchronous=FULL', async () => {
    await Promise.all(Array.from({ length: 64 }, () => storeOf('full').createTask(makeTask())));
  });
});
