import { randomUUID } from 'node:crypto';
import {
  link,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { KolejkaError, noopLogger, type Logger } from '@kolejka/spec';
import { isBlobHash } from '../store/blob-hash.js';
import {
  type BlobStore,
  type ByteRange,
  type PutBlobOptions,
  type PutBlobResult,
  type StoredBlob,
} from './blob-store.js';
import { hashingCopy } from './hashing-copy.js';
import { checkRange } from './range.js';

export interface FsBlobStoreOptions {
  /** The store's directory: content in `blob/ab/cd/ef/<rest>`, uploads in progress in `temp/`. */
  dir: string;
  logger?: Logger;
}

export async function openFsBlobStore(options: FsBlobStoreOptions): Promise<FsBlobStore> {
  const store = new FsBlobStore(options.dir, options.logger ?? noopLogger);
  // Owner only, as the database: directories 0700, files 0600 (an existing one keeps its mode).
  await mkdir(store.blobDir, { recursive: true, mode: 0o700 });
  await mkdir(store.tempDir, { recursive: true, mode: 0o700 });
  return store;
}

const errnoCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Content-addressed blobs in a directory (the original's layout). An upload is written to
 * `temp/`, hashed on the way, synced, then hard-linked to its content path: the link fails
 * when the content is already there (dedup), so two uploads of the same bytes never clobber
 * each other and a reader never sees a partial file.
 */
export class FsBlobStore implements BlobStore {
  readonly dir: string;
  readonly blobDir: string;
  readonly tempDir: string;
  private readonly logger: Logger;

  constructor(dir: string, logger: Logger) {
    this.dir = path.resolve(dir);
    this.blobDir = path.join(this.dir, 'blob');
    this.tempDir = path.join(this.dir, 'temp');
    this.logger = logger;
  }

  /** `blob/ab/cd/ef/<rest>`; only ever built from a checked hash, so it stays inside. */
  pathOf(hash: string): string {
    if (!isBlobHash(hash))
      throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid blob hash ${JSON.stringify(hash)}`);
    return path.join(
      this.blobDir,
      hash.slice(0, 2),
      hash.slice(2, 4),
      hash.slice(4, 6),
      hash.slice(6),
    );
  }

  async put(content: Readable, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    const temp = path.join(this.tempDir, `upload-${randomUUID()}`);
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx', 0o600);
      const file = handle;
      const { hash, size } = await hashingCopy(content, (chunk) => file.write(chunk), options);
      await file.sync();
      await file.close();
      handle = undefined;
      const isNew = await this.commit(temp, hash);
      return { hash, size, isNew };
    } catch (error) {
      if (!content.destroyed) content.destroy();
      throw error;
    } finally {
      await handle?.close().catch(() => undefined);
      // After a commit the content lives on under its hash; the temp name always goes.
      await rm(temp, { force: true });
    }
  }

  /** Links the finished upload to its content path; false when the content was there. */
  private async commit(temp: string, hash: string): Promise<boolean> {
    const target = this.pathOf(hash);
    for (let round = 0; round < 5; round++) {
      const created = await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      try {
        await link(temp, target);
        await syncDirectories(created ?? path.dirname(target), path.dirname(target));
        return true;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw error;
      }
      try {
        // Present: refresh it, so a gc that is about to delete it keeps it (deleteIfStale).
        const now = new Date();
        await utimes(target, now, now);
        return false;
      } catch (error) {
        // gc removed it between our link and touch: link again.
        if (errnoCode(error) !== 'ENOENT') throw error;
      }
    }
    throw new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `Could not store blob ${hash}: it kept disappearing`,
    );
  }

  async size(hash: string): Promise<number | undefined> {
    if (!isBlobHash(hash)) return undefined;
    try {
      return (await stat(this.pathOf(hash))).size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(hash), 'r');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT')
        throw new KolejkaError('KOLEJKA_NOT_FOUND', `Blob ${hash} is not stored`, { cause: error });
      throw error;
    }
    try {
      const bounds = range === undefined ? {} : checkRange(range, (await handle.stat()).size);
      return handle.createReadStream({ ...bounds, autoClose: true });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async delete(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  async deleteIfStale(hash: string, olderThan: Date): Promise<boolean> {
    const target = this.pathOf(hash);
    // Moved aside first, atomically: a put that deduplicates against it after this finds it
    // gone and stores it anew; one that refreshed it before this is seen in its mtime.
    const aside = path.join(this.tempDir, `gc-${randomUUID()}`);
    try {
      await rename(target, aside);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw error;
    }
    if ((await stat(aside)).mtimeMs >= olderThan.getTime()) {
      await link(aside, target).catch((error: unknown) => {
        if (errnoCode(error) !== 'EEXIST') throw error;
      });
      await unlink(aside);
      this.logger.debug('blob kept: refreshed during gc', { hash });
      return false;
    }
    await unlink(aside);
    return true;
  }

  async *list(signal?: AbortSignal): AsyncIterable<StoredBlob> {
    const hex2 = /^[0-9a-f]{2}$/;
    for (const a of await subdirectories(this.blobDir, hex2))
      for (const b of await subdirectories(path.join(this.blobDir, a), hex2))
        for (const c of await subdirectories(path.join(this.blobDir, a, b), hex2)) {
          signal?.throwIfAborted();
          const dir = path.join(this.blobDir, a, b, c);
          for (const rest of await readdir(dir).catch(() => [])) {
            const hash = `${a}${b}${c}${rest}`;
            if (!isBlobHash(hash)) continue;
            const info = await stat(path.join(dir, rest)).catch(() => undefined);
            if (info?.isFile() === true) yield { hash, size: info.size, modifiedAt: info.mtime };
          }
        }
  }

  async sweepTemp(olderThan: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tempDir)) {
      const file = path.join(this.tempDir, name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || info.mtimeMs >= olderThan.getTime()) continue;
      await rm(file, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function subdirectories(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && pattern.test(e.name)).map((e) => e.name);
}

/** fsyncs `to` and every directory from `from` up to it, so a new link survives a power cut. */
async function syncDirectories(from: string, to: string): Promise<void> {
  const dirs = [to];
  for (let dir = to; dir !== from && dir.startsWith(from);) {
    dir = path.dirname(dir);
    dirs.push(dir);
  }
  // The parent of the first directory created holds its entry too.
  if (from !== to) dirs.push(path.dirname(from));
  for (const dir of dirs) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
