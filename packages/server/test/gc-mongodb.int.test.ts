import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../src/blobs/blob-store.js';
import { openBlobStore } from '../src/blobs/open-blob-store.js';
import { collectGarbage } from '../src/ops/gc.js';
import { openMongoStore, type MongoStore } from '../src/store/mongodb/mongo-store.js';
import { MONGODB_URL, scratchDatabaseName, skipWithoutMongo } from './store-mongodb-env.js';

const HOUR = 3_600_000;

if (!skipWithoutMongo('gc on MongoDB and GridFS'))
  describe('gc on MongoDB and GridFS', () => {
    let store: MongoStore;
    let blobs: BlobStore;
    beforeEach(async () => {
      store = await openMongoStore({ url: MONGODB_URL!, databaseName: scratchDatabaseName() });
      blobs = await openBlobStore({ home: '/nonexistent', store });
    });
    afterEach(async () => {
      await store.database.db.dropDatabase();
      await store.close();
    });

    it('removes unnamed blobs and orphans, keeps named and recent ones', async () => {
      const put = async (content: string, recordedAt?: Date): Promise<string> => {
        const { hash, size } = await blobs.put(Readable.from([Buffer.from(content)]));
        if (recordedAt !== undefined) await store.putBlob({ hash, size, createdAt: recordedAt });
        return hash;
      };
      const now = new Date(Date.now() + 2 * HOUR);
      const named = await put('named', new Date());
      await store.ensureReference('alice', named, new Date(), 'a'.repeat(32));
      const unnamed = await put('unnamed', new Date());
      const recent = await put('recent', new Date(now.getTime() - 1000));
      const orphan = await put('orphan');

      const report = await collectGarbage({ store, blobs, now, graceMs: HOUR });
      expect(report).toMatchObject({
        blobRecordsRemoved: 1,
        blobsDeleted: 2,
        orphansDeleted: 1,
        bytesFreed: 'unnamed'.length + 'orphan'.length,
      });
      expect(await blobs.size(unnamed)).toBeUndefined();
      expect(await blobs.size(orphan)).toBeUndefined();
      expect(await blobs.size(named)).toBe(5);
      expect(await blobs.size(recent)).toBe(6);
      expect(await store.blobTotals()).toEqual({ count: 2, bytes: 11 });
    });
  });
