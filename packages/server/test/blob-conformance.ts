import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KolejkaError } from '@kolejka/spec';
import type { BlobStore } from '../src/blobs/blob-store.js';
import { expectKolejkaError } from './store-fixtures.js';

export interface BlobStoreEngine {
  name: string;
  create(): Promise<BlobStoreContext>;
}

export interface BlobStoreContext {
  blobs: BlobStore;
  /** Everything the store holds besides finished blobs (temp files, uploads in progress). */
  leftovers(): Promise<string[]>;
  destroy(): Promise<void>;
}

export const sha256 = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

/** A stream of `chunks`, then an error or an endless wait when asked. */
function source(
  chunks: string[],
  end: 'end' | 'error' | 'hang' = 'end',
): Readable & { reads: number } {
  let i = 0;
  const stream = new Readable({
    read() {
      stream.reads++;
      if (i < chunks.length) this.push(Buffer.from(chunks[i++]!));
      else if (end === 'end') this.push(null);
      else if (end === 'error') this.destroy(new Error('client went away'));
    },
  }) as Readable & { reads: number };
  stream.reads = 0;
  return stream;
}

/** Every rule of the BlobStore interface, for each implementation. */
export function describeBlobStoreConformance(engine: BlobStoreEngine): void {
  describe(`BlobStore conformance: ${engine.name}`, () => {
    let context: BlobStoreContext;
    beforeEach(async () => {
      context = await engine.create();
    });
    afterEach(async () => {
      await context.destroy();
    });

    it('stores content under its SHA-256 and reads it back', async () => {
      const { blobs } = context;
      const stored = await blobs.put(source(['hello ', 'world']));
      expect(stored).toEqual({ hash: sha256('hello world'), size: 11, isNew: true });
      expect(await blobs.size(stored.hash)).toBe(11);
      expect(await text(await blobs.open(stored.hash))).toBe('hello world');
      const empty = await blobs.put(source([]));
      expect(empty).toEqual({ hash: sha256(''), size: 0, isNew: true });
      expect(await text(await blobs.open(empty.hash))).toBe('');
      expect(await context.leftovers()).toEqual([]);
    });

    it('deduplicates: the same content again is not new and leaves nothing behind', async () => {
      const { blobs } = context;
      await blobs.put(source(['same']));
      expect(await blobs.put(source(['sa', 'me']))).toEqual({
        hash: sha256('same'),
        size: 4,
        isNew: false,
      });
      const racing = await Promise.all(
        Array.from({ length: 8 }, () => blobs.put(source(['race ', 'content']))),
      );
      expect(racing.filter((r) => r.isNew)).toHaveLength(1);
      expect(await text(await blobs.open(sha256('race content')))).toBe('race content');
      expect(await context.leftovers()).toEqual([]);
    });

    it('reads byte ranges, clamping the end', async () => {
      const { blobs } = context;
      const { hash } = await blobs.put(source(['0123456789']));
      expect(await text(await blobs.open(hash, { start: 2, end: 5 }))).toBe('2345');
      expect(await text(await blobs.open(hash, { start: 9, end: 9 }))).toBe('9');
      expect(await text(await blobs.open(hash, { start: 7, end: 100 }))).toBe('789');
      await expectKolejkaError(
        blobs.open(hash, { start: 10, end: 12 }),
        'KOLEJKA_VALIDATION',
        /10 bytes/,
      );
      await expectKolejkaError(blobs.open(hash, { start: 5, end: 4 }), 'KOLEJKA_VALIDATION');
    });

    it('reports missing content', async () => {
      const { blobs } = context;
      await expectKolejkaError(blobs.open(sha256('missing')), 'KOLEJKA_NOT_FOUND', /not stored/);
      expect(await blobs.size(sha256('missing'))).toBeUndefined();
      expect(await blobs.size('../../etc/passwd')).toBeUndefined();
      await expect(blobs.open('../../etc/passwd')).rejects.toBeInstanceOf(KolejkaError);
    });

    it('refuses content that does not match the expected hash, keeping nothing', async () => {
      const { blobs } = context;
      await expectKolejkaError(
        blobs.put(source(['actual']), { expectedHash: sha256('expected') }),
        'KOLEJKA_VALIDATION',
        new RegExp(sha256('actual')),
      );
      expect(await blobs.size(sha256('actual'))).toBeUndefined();
      await expectKolejkaError(
        blobs.put(source(['x']), { expectedHash: 'XYZ' }),
        'KOLEJKA_VALIDATION',
      );
      expect(await blobs.put(source(['ok']), { expectedHash: sha256('ok') })).toMatchObject({
        isNew: true,
      });
      expect(await context.leftovers()).toEqual([]);
    });

    it('refuses content over maxBytes without reading the rest', async () => {
      const { blobs } = context;
      expect(await blobs.put(source(['12345']), { maxBytes: 5 })).toMatchObject({ size: 5 });
      const big = source(Array.from({ length: 1000 }, () => 'x'.repeat(1000)));
      await expectKolejkaError(
        blobs.put(big, { maxBytes: 2500 }),
        'KOLEJKA_TOO_LARGE',
        /2500 bytes/,
      );
      // Only what the stream buffers ahead (16 KiB) was read, not the whole megabyte.
      expect(big.reads).toBeLessThan(50);
      expect(big.destroyed).toBe(true);
      expect(await context.leftovers()).toEqual([]);
    });

    it('cleans up after an aborted or failed upload', async () => {
      const { blobs } = context;
      const controller = new AbortController();
      const hanging = source(['some ', 'bytes '], 'hang');
      const upload = blobs.put(hanging, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.abort(new KolejkaError('KOLEJKA_CANCELLED', 'Upload cut off'));
      await expectKolejkaError(upload, 'KOLEJKA_CANCELLED', /cut off/);
      expect(hanging.destroyed).toBe(true);

      const plain = new AbortController();
      const second = blobs.put(source(['a'], 'hang'), { signal: plain.signal });
      plain.abort();
      await expectKolejkaError(second, 'KOLEJKA_CANCELLED', /aborted/);
      await expectKolejkaError(
        blobs.put(source(['a']), { signal: AbortSignal.abort() }),
        'KOLEJKA_CANCELLED',
      );

      await expect(blobs.put(source(['half'], 'error'))).rejects.toThrow(/client went away/);
      expect(await blobs.size(sha256('some bytes '))).toBeUndefined();
      expect(await context.leftovers()).toEqual([]);
    });

    it('deletes content, idempotently, and only stale content on request', async () => {
      const { blobs } = context;
      const { hash } = await blobs.put(source(['to delete']));
      await blobs.delete(hash);
      await blobs.delete(hash);
      expect(await blobs.size(hash)).toBeUndefined();

      const kept = await blobs.put(source(['fresh']));
      expect(await blobs.deleteIfStale(kept.hash, new Date(Date.now() - 60_000))).toBe(false);
      expect(await text(await blobs.open(kept.hash))).toBe('fresh');
      expect(await blobs.deleteIfStale(kept.hash, new Date(Date.now() + 60_000))).toBe(true);
      expect(await blobs.size(kept.hash)).toBeUndefined();
      expect(await blobs.deleteIfStale(kept.hash, new Date(Date.now() + 60_000))).toBe(false);
      // Stored anew after deletion.
      expect(await blobs.put(source(['fresh']))).toMatchObject({ isNew: true });
      expect(await context.leftovers()).toEqual([]);
    });

    it('a put deduplicating against old content refreshes it for gc', async () => {
      const { blobs } = context;
      const { hash } = await blobs.put(source(['old']));
      // Apart by more than any clock granularity involved (file times follow a coarse clock).
      await new Promise((resolve) => setTimeout(resolve, 50));
      const beforeDedup = new Date();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await blobs.deleteIfStale(hash, new Date(beforeDedup.getTime() - 1000))).toBe(false);
      expect(await blobs.put(source(['old']))).toMatchObject({ isNew: false });
      expect(await blobs.deleteIfStale(hash, beforeDedup)).toBe(false);
      expect(await text(await blobs.open(hash))).toBe('old');
    });

    it('lists what it stores', async () => {
      const { blobs } = context;
      await blobs.put(source(['one']));
      await blobs.put(source(['three']));
      const listed = [];
      for await (const blob of blobs.list()) listed.push(blob);
      expect(listed.map((b) => [b.hash, b.size]).sort()).toEqual(
        [
          [sha256('one'), 3],
          [sha256('three'), 5],
        ].sort(),
      );
      expect(listed.every((b) => b.modifiedAt.getTime() > Date.now() - 60_000)).toBe(true);
    });
  });
}
