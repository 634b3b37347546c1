import { stat, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../src/blobs/open-storage.js';
import type { FsBlobStore } from '../src/blobs/fs-blob-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { makeTask } from './store-fixtures.js';

let root = '';
let storage: Storage | undefined;
afterEach(async () => {
  await storage?.store.close();
  await storage?.blobs.close();
  storage = undefined;
  if (root !== '') await rm(root, { recursive: true, force: true });
});

const modeOf = async (file: string): Promise<string> =>
  ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');

describe('a new store on disk', () => {
  it('is private to its user: directories 0700, files 0600', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kolejka-store-files-'));
    const home = path.join(root, 'home');
    storage = await openStorage({ home });
    await storage.store.createTask(makeTask());
    const { hash } = await storage.blobs.put(Readable.from([Buffer.from('private data')]));
    const blobs = storage.blobs as FsBlobStore;
    const blobFile = blobs.pathOf(hash);

    const modes = {
      home: await modeOf(home),
      database: await modeOf(path.join(home, 'kolejka.sqlite3')),
      wal: await modeOf(path.join(home, 'kolejka.sqlite3-wal')),
      blobs: await modeOf(blobs.dir),
      temp: await modeOf(blobs.tempDir),
      blobParent: await modeOf(path.dirname(blobFile)),
      blob: await modeOf(blobFile),
    };
    expect(modes).toEqual({
      home: '0700',
      database: '0600',
      wal: '0600',
      blobs: '0700',
      temp: '0700',
      blobParent: '0700',
      blob: '0600',
    });
  });

  it('syncs every commit to disk by default (synchronous=FULL), NORMAL when asked', async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kolejka-store-sync-'));
    const full = await openSqliteStore({ path: path.join(root, 'full.sqlite3') });
    const normal = await openSqliteStore({
      path: path.join(root, 'normal.sqlite3'),
      synchronous: 'normal',
    });
    try {
      expect(full.connectionSettings()).toEqual({ journalMode: 'wal', synchronous: 'full' });
      expect(normal.connectionSettings()).toEqual({ journalMode: 'wal', synchronous: 'normal' });
    } finally {
      await full.close();
      await normal.close();
    }
  });
});
