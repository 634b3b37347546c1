import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { BlobCache, placeBlob } from '../src/tasks/blob-cache.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A fake server: blobs by hash, counting downloads, optionally slow. */
function fakeServer(contents: string[], delayMs = 0) {
  const byHash = new Map(contents.map((text) => [sha(text), text]));
  const downloads: string[] = [];
  const fetch = async (hash: string, destination: string): Promise<void> => {
    downloads.push(hash);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const text = byHash.get(hash);
    if (text === undefined) throw new Error(`no blob ${hash}`);
    await writeFile(destination, text);
  };
  return { fetch, downloads };
}

describe('BlobCache', () => {
  it('downloads a blob once for concurrent and later users', async () => {
    const server = fakeServer(['hello'], 30);
    const cache = new BlobCache({
      dir: path.join(dir, 'blobs'),
      budgetBytes: 1000,
      fetch: server.fetch,
    });
    await cache.open();
    const [a, b] = await Promise.all([cache.acquire(sha('hello')), cache.acquire(sha('hello'))]);
    const c = await cache.acquire(sha('hello'));
    expect(server.downloads).toEqual([sha('hello')]);
    expect(a.file).toBe(b.file);
    expect(await readFile(c.file, 'utf8')).toBe('hello');
    for (const lease of [a, b, c]) lease.release();
  });

  it('evicts least recently used blobs beyond the budget, never one in use', async () => {
    let clock = 0;
    const texts = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    const server = fakeServer(texts);
    const cache = new BlobCache({
      dir: path.join(dir, 'blobs'),
      budgetBytes: 100,
      fetch: server.fetch,
      now: () => ++clock,
    });
    await cache.open();
    const [a, b, c] = texts.map(sha) as [string, string, string];
    const leaseA = await cache.acquire(a);
    (await cache.acquire(b)).release();
    // a (in use) is the oldest; c makes 120 bytes: b goes, a stays although older.
    const leaseC = await cache.acquire(c);
    await cache.evict();
    expect([cache.has(a), cache.has(b), cache.has(c)]).toEqual([true, false, true]);
    expect(cache.sizeBytes).toBe(80);
    // Over budget while everything is in use: nothing can go.
    await cache.acquire(b);
    expect(cache.sizeBytes).toBe(120);
    leaseA.release();
    await cache.evict();
    expect(cache.has(a)).toBe(false);
    expect(cache.sizeBytes).toBe(80);
    leaseC.release();
    expect((await readdir(path.join(dir, 'blobs'))).sort()).toEqual([b, c].sort());
  });

  it('keeps blobs across restarts and drops partial downloads', async () => {
    const server = fakeServer(['kept']);
    const blobs = path.join(dir, 'blobs');
    const first = new BlobCache({ dir: blobs, budgetBytes: 1000, fetch: server.fetch });
    await first.open();
    (await first.acquire(sha('kept'))).release();
    await writeFile(path.join(blobs, `.partial-${sha('x')}-1234`), 'half');
    const second = new BlobCache({ dir: blobs, budgetBytes: 1000, fetch: server.fetch });
    await second.open();
    expect(second.has(sha('kept'))).toBe(true);
    expect(await readdir(blobs)).toEqual([sha('kept')]);
    (await second.acquire(sha('kept'))).release();
    expect(server.downloads).toHaveLength(1);
  });

  it('leaves nothing behind when a download fails, and refuses non-hashes', async () => {
    const cache = new BlobCache({
      dir: path.join(dir, 'blobs'),
      budgetBytes: 1000,
      fetch: fakeServer([]).fetch,
    });
    await cache.open();
    await expect(cache.acquire(sha('missing'))).rejects.toThrow(/no blob/);
    expect(await readdir(path.join(dir, 'blobs'))).toEqual([]);
    const error = await cache.acquire('../../etc/passwd').catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
  });

  it('lets a waiter give up without failing the shared download', async () => {
    const server = fakeServer(['slow'], 100);
    const cache = new BlobCache({
      dir: path.join(dir, 'blobs'),
      budgetBytes: 1000,
      fetch: server.fetch,
    });
    await cache.open();
    const controller = new AbortController();
    const waiting = cache.acquire(sha('slow'), controller.signal);
    const other = cache.acquire(sha('slow'));
    controller.abort();
    const error = await waiting.catch((caught: unknown) => caught);
    expect(isKolejkaError(error, 'KOLEJKA_CANCELLED')).toBe(true);
    expect(await readFile((await other).file, 'utf8')).toBe('slow');
  });

  it('places a blob by hard link (same inode) or copy', async () => {
    const source = path.join(dir, 'source');
    await writeFile(source, 'content');
    await placeBlob(source, path.join(dir, 'linked'));
    expect((await stat(path.join(dir, 'linked'))).ino).toBe((await stat(source)).ino);
  });
});
