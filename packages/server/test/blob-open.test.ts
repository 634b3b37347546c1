import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FsBlobStore } from '../src/blobs/fs-blob-store.js';
import { openBlobStore } from '../src/blobs/open-blob-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'kolejka-blob-open-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

it('keeps blobs in <home>/blobs beside a SQLite store, or in the directory given', async () => {
  const store = await openSqliteStore({ path: path.join(home, 'kolejka.sqlite3') });
  try {
    const beside = await openBlobStore({ home, store });
    expect(beside).toBeInstanceOf(FsBlobStore);
    expect((beside as FsBlobStore).dir).toBe(path.join(home, 'blobs'));
    expect((await stat(path.join(home, 'blobs', 'temp'))).isDirectory()).toBe(true);
    const elsewhere = await openBlobStore({ home, dir: path.join(home, 'other') });
    expect((elsewhere as FsBlobStore).dir).toBe(path.join(home, 'other'));
  } finally {
    await store.close();
  }
});
