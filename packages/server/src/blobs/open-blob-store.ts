import path from 'node:path';
import type { Logger } from '@kolejka/spec';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';

export interface OpenBlobStoreOptions {
  /** The server's data directory: files go to `<home>/blobs` unless `dir` says otherwise. */
  home: string;
  /** Directory for the file blob store. Default `<home>/blobs`. */
  dir?: string;
  /** The store in use: a MongoDB store puts blobs in GridFS on its connection. */
  store?: Store;
  logger?: Logger;
}

/**
 * The blob store that goes with the store: GridFS beside a MongoDB store (so several server
 * processes share the blobs), else a directory.
 */
export async function openBlobStore(options: OpenBlobStoreOptions): Promise<BlobStore> {
  const logger = options.logger === undefined ? {} : { logger: options.logger };
  if (options.store !== undefined && !(options.store instanceof SqliteStore)) {
    const { MongoStore } = await import('../store/mongodb/mongo-store.js');
    if (options.store instanceof MongoStore) {
      const { openGridFsBlobStore } = await import('./gridfs-blob-store.js');
      return openGridFsBlobStore({ db: options.store.database.db, ...logger });
    }
  }
  const { openFsBlobStore } = await import('./fs-blob-store.js');
  return openFsBlobStore({ dir: options.dir ?? path.join(options.home, 'blobs'), ...logger });
}
