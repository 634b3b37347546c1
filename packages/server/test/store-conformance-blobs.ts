import { describe, expect, it } from 'vitest';
import {
  T0,
  assignedTask,
  at,
  expectKolejkaError,
  hashOf,
  makeResult,
  makeTask,
  putBlobs,
  useStore,
  type StoreEngine,
} from './store-fixtures.js';

/** Blob records, references, gc candidates and totals. */
export function describeBlobConformance(engine: StoreEngine): void {
  const context = useStore(engine);

  describe('blob records', () => {
    it('records a blob once and keeps the first record', async () => {
      const { store } = context();
      const hash = hashOf('x');
      expect(await store.putBlob({ hash, size: 10, createdAt: T0 })).toEqual({
        hash,
        size: 10,
        createdAt: T0,
      });
      expect(await store.putBlob({ hash, size: 10, createdAt: at(50) })).toEqual({
        hash,
        size: 10,
        createdAt: T0,
      });
      expect(await store.getBlob(hash)).toEqual({ hash, size: 10, createdAt: T0 });
      expect(await store.getBlob(hashOf('y'))).toBeUndefined();
      await expectKolejkaError(
        store.putBlob({ hash: 'ABC', size: 1, createdAt: T0 }),
        'KOLEJKA_VALIDATION',
        /hash/,
      );
    });

    it('keeps totals of count and bytes', async () => {
      const { store } = context();
      expect(await store.blobTotals()).toEqual({ count: 0, bytes: 0 });
      await store.putBlob({ hash: hashOf('a'), size: 100, createdAt: T0 });
      await store.putBlob({ hash: hashOf('b'), size: 23, createdAt: T0 });
      await store.putBlob({ hash: hashOf('a'), size: 100, createdAt: T0 });
      expect(await store.blobTotals()).toEqual({ count: 2, bytes: 123 });
      await store.removeBlobIfUnreferenced(hashOf('a'));
      expect(await store.blobTotals()).toEqual({ count: 1, bytes: 23 });
    });

    it('removes a record only when nothing names it', async () => {
      const { store } = context();
      const [byRef, byTask, byResult, free] = await putBlobs(
        store,
        'ref',
        'task',
        'result',
        'free',
      );
      await store.createReference({
        key: 'r'.repeat(32),
        hash: byRef!,
        owner: 'alice',
        isPublic: false,
        createdAt: T0,
        accessedAt: T0,
      });
      const task = await assignedTask(store, 'f1', {
        ...makeTask({ files: { 'in.txt': byTask! } }),
      });
      await store.finishTask(
        task.key,
        1,
        makeResult(task.key, 1, { files: { 'out.txt': byResult! } }),
        at(2),
      );

      for (const hash of [byRef!, byTask!, byResult!])
        expect(await store.removeBlobIfUnreferenced(hash)).toBe(false);
      expect(await store.removeBlobIfUnreferenced(free!)).toBe(true);
      expect(await store.removeBlobIfUnreferenced(free!)).toBe(false);
      expect(await store.getBlob(byRef!)).toBeDefined();

      await store.deleteReference('r'.repeat(32));
      expect(await store.removeBlobIfUnreferenced(byRef!)).toBe(true);
      // Deleting the result (not the task) frees the result's blob only.
      await store.deleteResult(task.key, at(3));
      expect(await store.removeBlobIfUnreferenced(byResult!)).toBe(true);
      expect(await store.removeBlobIfUnreferenced(byTask!)).toBe(false);
      await store.deleteTask(task.key, at(4));
      expect(await store.removeBlobIfUnreferenced(byTask!)).toBe(true);
      expect(await store.blobTotals()).toEqual({ count: 0, bytes: 0 });
    });

    it('lists gc candidates: unreferenced, least recently put first, outside the grace period', async () => {
      const { store } = context();
      const old = hashOf('old');
      const older = hashOf('older');
      const fresh = hashOf('fresh');
      const used = hashOf('used');
      await store.putBlob({ hash: old, size: 1, createdAt: at(10) });
      await store.putBlob({ hash: older, size: 2, createdAt: at(5) });
      await store.putBlob({ hash: fresh, size: 3, createdAt: at(100) });
      await store.putBlob({ hash: used, size: 4, createdAt: at(0) });
      await store.ensureReference('alice', used, at(1), 'u'.repeat(32));

      expect((await store.listUnreferencedBlobs(10)).map((b) => b.hash)).toEqual([
        older,
        old,
        fresh,
      ]);
      expect((await store.listUnreferencedBlobs(1)).map((b) => b.hash)).toEqual([older]);
      expect((await store.listUnreferencedBlobs(10, at(50))).map((b) => b.hash)).toEqual([
        older,
        old,
      ]);
      expect(await store.listUnreferencedBlobs(10, at(50))).toContainEqual({
        hash: old,
        size: 1,
        createdAt: at(10),
      });

      // Uploading old content again restarts its grace period (its reference comes next).
      await store.putBlob({ hash: older, size: 2, createdAt: at(60) });
      expect((await store.listUnreferencedBlobs(10, at(50))).map((b) => b.hash)).toEqual([old]);
      await expectKolejkaError(store.listUnreferencedBlobs(0), 'KOLEJKA_VALIDATION', /limit/);
    });
  });

  describe('references', () => {
    it('creates, reads, touches and deletes references', async () => {
      const { store } = context();
      const [hash] = await putBlobs(store, 'content');
      const reference = {
        key: 'a'.repeat(32),
        hash: hash!,
        owner: 'alice',
        isPublic: true,
        createdAt: T0,
        accessedAt: T0,
      };
      await store.createReference(reference);
      expect(await store.getReference(reference.key)).toEqual(reference);
      expect(await store.getReference('b'.repeat(32))).toBeUndefined();
      expect(await store.hasReference('alice', hash!)).toBe(true);
      expect(await store.hasReference('bob', hash!)).toBe(false);

      await store.touchReference(reference.key, at(9));
      expect(await store.getReference(reference.key)).toEqual({ ...reference, accessedAt: at(9) });

      await expectKolejkaError(store.createReference(reference), 'KOLEJKA_CONFLICT');
      await expectKolejkaError(
        store.createReference({ ...reference, key: 'c'.repeat(32), hash: hashOf('missing') }),
        'KOLEJKA_NOT_FOUND',
        /not stored/,
      );

      expect(await store.deleteReference(reference.key)).toBe(true);
      expect(await store.deleteReference(reference.key)).toBe(false);
      expect(await store.hasReference('alice', hash!)).toBe(false);
    });

    it('ensureReference returns the owner’s oldest reference or creates one', async () => {
      const { store } = context();
      const [hash] = await putBlobs(store, 'content');
      const first = await store.ensureReference('alice', hash!, at(1), '1'.repeat(32));
      expect(first).toEqual({
        key: '1'.repeat(32),
        hash,
        owner: 'alice',
        isPublic: false,
        createdAt: at(1),
        accessedAt: at(1),
      });
      expect(await store.ensureReference('alice', hash!, at(2), '2'.repeat(32))).toEqual(first);
      expect(await store.getReference('2'.repeat(32))).toBeUndefined();
      const bobs = await store.ensureReference('bob', hash!, at(3), '3'.repeat(32));
      expect(bobs.key).toBe('3'.repeat(32));
      await expectKolejkaError(
        store.ensureReference('alice', hashOf('missing'), at(4), '4'.repeat(32)),
        'KOLEJKA_NOT_FOUND',
      );
    });

    it('ensureReference is idempotent under concurrent calls', async () => {
      const { store, openAnother } = context();
      const other = await openAnother();
      const [hash] = await putBlobs(store, 'content');
      const keys = Array.from({ length: 10 }, (_, i) => i.toString(16).repeat(32));
      const made = await Promise.all(
        keys.map((key, i) =>
          (i % 2 === 0 ? store : other).ensureReference('carol', hash!, at(i), key),
        ),
      );
      expect(new Set(made.map((r) => r.key)).size).toBe(1);
      expect(await store.deleteReferencesToBlob(hash!)).toBe(1);
    });

    it('deleteReferencesToBlob removes every reference to the hash', async () => {
      const { store } = context();
      const [hash, other] = await putBlobs(store, 'one', 'two');
      for (const [i, owner] of ['alice', 'bob', 'carol'].entries())
        await store.createReference({
          key: String(i).repeat(32),
          hash: hash!,
          owner,
          isPublic: false,
          createdAt: T0,
          accessedAt: T0,
        });
      await store.ensureReference('alice', other!, T0, 'f'.repeat(32));
      expect(await store.deleteReferencesToBlob(hash!)).toBe(3);
      expect(await store.deleteReferencesToBlob(hash!)).toBe(0);
      expect(await store.hasReference('alice', other!)).toBe(true);
    });
  });
}
