import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KolejkaClient } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/fixtures.js';
import { blobUploadCount } from './support/forwarder.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const GIB = 1024 ** 3;
// In a process of its own: the resident set measured here is the client's alone.
let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(async () => {
  await server.close();
  await removeTempDirs();
});

/** The largest resident set size seen while `work` runs, sampled every 20 ms. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakBytes: number }> {
  let peakBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage.rss());
  }, 20);
  try {
    const value = await work();
    peakBytes = Math.max(peakBytes, process.memoryUsage.rss());
    return { value, peakBytes };
  } finally {
    clearInterval(sampler);
  }
}

it(
  'uploads and downloads 1 GiB with flat memory (resident set grows < 100 MB)',
  { timeout: 240_000 },
  async () => {
    const dir = await tempDir();
    const source = path.join(dir, 'big.bin');
    // Sparse: no disk used for the source; the last byte makes the content ours.
    const handle = await open(source, 'w');
    await handle.truncate(GIB);
    await handle.write(Buffer.from([Math.floor(Math.random() * 255) + 1]), 0, 1, GIB - 1);
    await handle.close();

    const client = new KolejkaClient({ server: server.url, token: server.token });
    const baseline = process.memoryUsage.rss();
    const before = await blobUploadCount(server.url);
    const started = Date.now();
    const upload = await peakRss(() => client.putBlob(source));
    const uploadedMs = Date.now() - started;
    expect(upload.value).toMatchObject({ size: GIB, isUploaded: true });
    expect(await blobUploadCount(server.url)).toBe(before + 1);

    const target = path.join(dir, 'copy.bin');
    const downloadStarted = Date.now();
    const download = await peakRss(() => client.getBlob(upload.value.hash, target));
    const downloadedMs = Date.now() - downloadStarted;
    expect(download.value.size).toBe(GIB);
    expect((await stat(target)).size).toBe(GIB);
    // A second put of the same gigabyte sends nothing.
    expect((await client.putBlob(source)).isUploaded).toBe(false);
    expect(await blobUploadCount(server.url)).toBe(before + 1);

    const growthMb = (Math.max(upload.peakBytes, download.peakBytes) - baseline) / 1024 ** 2;
    console.log(
      `upload peak ${((upload.peakBytes - baseline) / 1024 ** 2).toFixed(0)} MB, download peak ${((download.peakBytes - baseline) / 1024 ** 2).toFixed(0)} MB; 1 GiB: hash + upload ${uploadedMs} ms (${(1024 / (uploadedMs / 1000)).toFixed(0)} MiB/s), download + verify ${downloadedMs} ms (${(1024 / (downloadedMs / 1000)).toFixed(0)} MiB/s), client resident set growth ${growthMb.toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(100);
    await rm(target);
    await rm(source);
  },
);
