import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFsBlobStore, type FsBlobStore } from '../src/blobs/fs-blob-store.js';
import { describeBlobStoreConformance, sha256 } from './blob-conformance.js';

describeBlobStoreConformance({
  name: 'files',
  async create() {
    const dir = await mkdtemp(path.join(tmpdir(), 'kolejka-blobs-'));
    const blobs = await openFsBlobStore({ dir });
    return {
      blobs,
      leftovers: () => readdir(path.join(dir, 'temp')),
      async destroy() {
        await blobs.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('file blob store', () => {
  let dir: string;
  let blobs: FsBlobStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kolejka-blobs-'));
    blobs = await openFsBlobStore({ dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps content at blob/ab/cd/ef/<rest of the hash>', async () => {
    const { hash } = await blobs.put(Readable.from([Buffer.from('layout')]));
    const file = path.join(
      dir,
      'blob',
      hash.slice(0, 2),
      hash.slice(2, 4),
      hash.slice(4, 6),
      hash.slice(6),
    );
    expect((await stat(file)).size).toBe(6);
    expect(blobs.pathOf(hash)).toBe(file);
    expect(() => blobs.pathOf('../x')).toThrow(/Invalid blob hash/);
  });

  it('sweeps old temp files only', async () => {
    const old = path.join(dir, 'temp', 'upload-dead');
    const fresh = path.join(dir, 'temp', 'upload-live');
    await writeFile(old, 'left by a crash');
    await writeFile(fresh, 'in progress');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(old, hourAgo, hourAgo);
    expect(await blobs.sweepTemp(new Date(Date.now() - 60_000))).toBe(1);
    expect(await readdir(path.join(dir, 'temp'))).toEqual(['upload-live']);
  });

  it('streams a 200 MB upload with little memory', { timeout: 120_000 }, async () => {
    const total = 200 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    const expected = (await import('node:crypto')).createHash('sha256');
    let sent = 0;
    const content = new Readable({
      read() {
        if (sent >= total) return void this.push(null);
        // Different bytes in every chunk, so nothing is deduplicated or compressible.
        chunk.writeUInt32BE(sent / chunk.length, 0);
        const copy = Buffer.from(chunk);
        expected.update(copy);
        sent += copy.length;
        this.push(copy);
      },
    });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    try {
      const stored = await blobs.put(content, { maxBytes: total });
      expect(stored).toEqual({ hash: expected.digest('hex'), size: total, isNew: true });
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const growthMb = (peak - baseline) / 1024 / 1024;
    console.log(`200 MB upload: ${seconds.toFixed(2)} s, RSS growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(64);
    expect(await blobs.size(sha256(''))).toBeUndefined();
    expect(await readdir(path.join(dir, 'temp'))).toEqual([]);
  });
});
