import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFsBlobStore, type FsBlobStore } from '../src/blobs/fs-blob-store.js';
import { collectGarbage } from '../src/ops/gc.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { assignedTask, at, makeResult, makeTask } from './store-fixtures.js';

const HOUR = 3_600_000;

describe('gc', () => {
  let dir: string;
  let store: SqliteStore;
  let blobs: FsBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kolejka-gc-'));
    store = await openSqliteStore({ path: path.join(dir, 'kolejka.sqlite3') });
    blobs = await openFsBlobStore({ dir: path.join(dir, 'blobs') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Uploads `content` as the HTTP side does: bytes first, then the record. */
  async function upload(content: string, recordedAt: Date): Promise<string> {
    const { hash, size } = await blobs.put(Readable.from([Buffer.from(content)]));
    await store.putBlob({ hash, size, createdAt: recordedAt });
    return hash;
  }

  it('removes unnamed blobs (records, then bytes), orphans, dead uploads, sessions and old events', async () => {
    const now = new Date(Date.now() + 2 * HOUR);
    const old = new Date(Date.now());
    const byReference = await upload('referenced', old);
    await store.ensureReference('alice', byReference, old, 'a'.repeat(32));
    const byTask = await upload('task input', old);
    const byResult = await upload('result output', old);
    const task = await assignedTask(store, 'f1', makeTask({ files: { 'in.txt': byTask } }));
    await store.finishTask(
      task.key,
      1,
      makeResult(task.key, 1, { files: { 'out.txt': byResult } }),
      at(2),
    );
    const unnamed = await upload('nobody needs this', old);
    const recent = await upload('uploaded a moment ago', new Date(now.getTime() - 10_000));
    const orphan = (await blobs.put(Readable.from([Buffer.from('bytes without a record')]))).hash;
    await writeFile(path.join(dir, 'blobs', 'temp', 'upload-crashed'), 'partial');
    await store.createUser({ username: 'bob', roles: ['client'], createdAt: old });
    await store.createSession({
      keyHash: 'gone',
      username: 'bob',
      createdAt: old,
      expiresAt: new Date(now.getTime() - 1),
    });
    await store.createSession({
      keyHash: 'live',
      username: 'bob',
      createdAt: old,
      expiresAt: new Date(now.getTime() + HOUR),
    });
    const events = (await store.readEvents(0, 100)).length; // fixture times are in 2024

    const report = await collectGarbage({ store, blobs, now, graceMs: HOUR });

    expect(report).toEqual({
      blobRecordsRemoved: 1,
      blobsDeleted: 2,
      bytesFreed: 'nobody needs this'.length + 'bytes without a record'.length,
      orphansDeleted: 1,
      tempFilesRemoved: 1,
      sessionsRemoved: 1,
      eventsRemoved: events,
    });
    expect(await store.getBlob(unnamed)).toBeUndefined();
    expect(await blobs.size(unnamed)).toBeUndefined();
    expect(await blobs.size(orphan)).toBeUndefined();
    for (const kept of [byReference, byTask, byResult, recent]) {
      expect(await store.getBlob(kept)).toBeDefined();
      expect(await blobs.size(kept)).toBeGreaterThan(0);
    }
    expect(await readdir(path.join(dir, 'blobs', 'temp'))).toEqual([]);
    expect(await store.getSession('live', now)).toBeDefined();
    expect(await store.blobTotals()).toEqual({
      count: 4,
      bytes: ['referenced', 'task input', 'result output', 'uploaded a moment ago'].join('').length,
    });

    // Nothing is left to do: a second run changes nothing.
    const again = await collectGarbage({ store, blobs, now, graceMs: HOUR });
    expect(again).toMatchObject({ blobRecordsRemoved: 0, blobsDeleted: 0, bytesFreed: 0 });
  });

  it('works through many candidates in batches', async () => {
    const old = new Date();
    for (let i = 0; i < 7; i++) await upload(`blob ${i}`, old);
    const report = await collectGarbage({
      store,
      blobs,
      now: new Date(Date.now() + 2 * HOUR),
      batchSize: 3,
    });
    expect(report).toMatchObject({ blobRecordsRemoved: 7, blobsDeleted: 7 });
    expect(await store.blobTotals()).toEqual({ count: 0, bytes: 0 });
  });

  it('never collects content an upload in flight is deduplicating against', async () => {
    const hash = await upload('popular content', new Date(Date.now() - 10 * HOUR));
    const blobFile = blobs.pathOf(hash);
    const longAgo = new Date(Date.now() - 10 * HOUR);
    await utimes(blobFile, longAgo, longAgo);

    // An upload of the same content: its bytes are deduplicated, its record not written yet.
    expect((await blobs.put(Readable.from([Buffer.from('popular content')]))).isNew).toBe(false);
    const during = await collectGarbage({ store, blobs, graceMs: 1000 });
    expect(during).toMatchObject({ blobRecordsRemoved: 1, blobsDeleted: 0 });
    // The upload goes on: record and reference, and the content is all there.
    await store.putBlob({ hash, size: 15, createdAt: new Date() });
    await store.ensureReference('alice', hash, new Date(), 'b'.repeat(32));
    expect(await text(await blobs.open(hash))).toBe('popular content');

    // Once recorded again (putBlob), even an unreferenced blob waits out the grace period.
    const other = await upload('another', new Date(Date.now() - 10 * HOUR));
    await store.putBlob({ hash: other, size: 7, createdAt: new Date() });
    expect(await collectGarbage({ store, blobs, graceMs: 60_000 })).toMatchObject({
      blobRecordsRemoved: 0,
    });
  });

  it('stops when aborted', async () => {
    await upload('x', new Date(0));
    await expect(
      collectGarbage({ store, blobs, signal: AbortSignal.abort(new Error('stop')) }),
    ).rejects.toThrow('stop');
    expect(await store.blobTotals()).toMatchObject({ count: 1 });
  });
});
