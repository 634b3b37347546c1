import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';

/** Downloads a blob to `destination` (verified against its hash). */
export type BlobFetcher = (hash: string, destination: string) => Promise<void>;

export interface BlobCacheOptions {
  dir: string;
  /** Total size the cache keeps; least recently used blobs not in use are evicted beyond it. */
  budgetBytes: number;
  fetch: BlobFetcher;
  logger?: Logger;
  /** Time source for recency (tests). */
  now?: () => number;
}

interface Entry {
  hash: string;
  file: string;
  sizeBytes: number;
  lastUsedMs: number;
  pins: number;
}

/** A blob held for a task: its cached file stays until `release()`. */
export interface BlobLease {
  file: string;
  sizeBytes: number;
  release(): void;
}

const HASH = /^[0-9a-f]{64}$/;

/** Waits for `promise` unless `signal` aborts first (the work itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.finally(() => signal.removeEventListener('abort', onAbort)).then(resolve, reject);
  });
}

function cancelled(): KolejkaError {
  return new KolejkaError('KOLEJKA_CANCELLED', 'the download was cancelled');
}

/**
 * Task input files by content hash on disk, so a judge's hundred tasks with the same
 * checker and tests download them once. Bounded by a size budget with least-recently-used
 * eviction; a blob in use by a task is never evicted (the budget may be exceeded while
 * tasks hold more than it). Concurrent requests for one blob share one download.
 */
export class BlobCache {
  private readonly entries = new Map<string, Entry>();
  private readonly downloads = new Map<string, Promise<Entry>>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private totalBytes = 0;

  constructor(private readonly options: BlobCacheOptions) {
    this.logger = options.logger ?? noopLogger;
    this.now = options.now ?? Date.now;
  }

  get sizeBytes(): number {
    return this.totalBytes;
  }

  get count(): number {
    return this.entries.size;
  }

  has(hash: string): boolean {
    return this.entries.has(hash);
  }

  /** Indexes the blobs left by an earlier run (recency from their mtime) and drops partial downloads. */
  async open(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.options.dir)) {
      const file = path.join(this.options.dir, name);
      if (!HASH.test(name)) {
        await rm(file, { recursive: true, force: true });
        continue;
      }
      const info = await stat(file);
      this.add({ hash: name, file, sizeBytes: info.size, lastUsedMs: info.mtimeMs, pins: 0 });
    }
    await this.evict();
  }

  /** The blob's cached file, downloaded first when missing; pinned until released. */
  async acquire(hash: string, signal?: AbortSignal): Promise<BlobLease> {
    if (!HASH.test(hash)) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${JSON.stringify(hash)} is not a SHA-256 blob hash`,
      );
    }
    let entry = this.entries.get(hash);
    if (entry === undefined) {
      let download = this.downloads.get(hash);
      if (download === undefined) {
        // Not tied to the first caller's signal: other tasks may wait for the same blob.
        download = this.download(hash).finally(() => this.downloads.delete(hash));
        this.downloads.set(hash, download);
      }
      entry = await abortable(download, signal);
    }
    entry.pins += 1;
    entry.lastUsedMs = this.now();
    // Recency survives a restart through the mtime; failing to set it costs nothing.
    void utimes(entry.file, new Date(), new Date()).catch(() => undefined);
    const pinned = entry;
    let isReleased = false;
    return {
      file: pinned.file,
      sizeBytes: pinned.sizeBytes,
      release: () => {
        if (isReleased) return;
        isReleased = true;
        pinned.pins -= 1;
        void this.evict();
      },
    };
  }

  private async download(hash: string): Promise<Entry> {
    const file = path.join(this.options.dir, hash);
    const partial = path.join(
      this.options.dir,
      `.partial-${hash}-${randomBytes(4).toString('hex')}`,
    );
    try {
      await this.options.fetch(hash, partial);
      const info = await stat(partial);
      await rename(partial, file);
      const entry: Entry = { hash, file, sizeBytes: info.size, lastUsedMs: this.now(), pins: 0 };
      this.add(entry);
      this.logger.debug('blob cached', { hash, bytes: info.size });
      return entry;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  private add(entry: Entry): void {
    const previous = this.entries.get(entry.hash);
    if (previous !== undefined) this.totalBytes -= previous.sizeBytes;
    this.entries.set(entry.hash, entry);
    this.totalBytes += entry.sizeBytes;
  }

  /** Removes least recently used blobs not in use until the cache fits its budget. */
  async evict(): Promise<void> {
    if (this.totalBytes <= this.options.budgetBytes) return;
    const candidates = [...this.entries.values()]
      .filter((entry) => entry.pins === 0)
      .sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    for (const entry of candidates) {
      if (this.totalBytes <= this.options.budgetBytes) break;
      if (entry.pins > 0 || this.entries.get(entry.hash) !== entry) continue;
      this.entries.delete(entry.hash);
      this.totalBytes -= entry.sizeBytes;
      await unlink(entry.file).catch(() => undefined);
      this.logger.debug('blob evicted', { hash: entry.hash, bytes: entry.sizeBytes });
    }
  }
}

/**
 * Puts a cached blob at `destination`: a hard link when the cache and the task dir share a
 * file system (no copy), else a copy. The worker copies task files into the container's
 * jail, so a task never writes to the shared inode.
 */
export async function placeBlob(source: string, destination: string): Promise<void> {
  try {
    await link(source, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw error;
    await copyFile(source, destination);
  }
}
