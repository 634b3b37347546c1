import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { describeStoreConformance } from './store-conformance.js';

describeStoreConformance({
  name: 'SQLite',
  async create() {
    const dir = await mkdtemp(path.join(tmpdir(), 'kolejka-store-'));
    const file = path.join(dir, 'kolejka.sqlite3');
    const opened: Store[] = [];
    const open = async (): Promise<Store> => {
      const store = await openSqliteStore({ path: file });
      opened.push(store);
      return store;
    };
    return {
      store: await open(),
      openAnother: open,
      async destroy() {
        for (const store of opened) await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});
