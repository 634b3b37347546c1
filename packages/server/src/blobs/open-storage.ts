import type { Logger } from '@kolejka/spec';
import { openStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import type { BlobStore } from './blob-store.js';
import { openBlobStore } from './open-blob-store.js';

export interface Storage {
  store: Store;
  blobs: BlobStore;
}

export interface OpenStorageOptions {
  /** Data directory: the SQLite file and the blob directory live here by default. */
  home: string;
  /** Store URL (see `openStore`): absent → SQLite in `home`; `mongodb://…` → MongoDB. */
  db?: string;
  /** Blob directory. Default `<home>/blobs`, or GridFS when the store is MongoDB. */
  blobsDir?: string;
  /** SQLite: `full` (default) or `normal`; see `OpenStoreOptions`. */
  sqliteSynchronous?: 'full' | 'normal';
  logger?: Logger;
}

/** Opens the store and the blob store together (closing the store if the blobs fail). */
export async function openStorage(options: OpenStorageOptions): Promise<Storage> {
  const store = await openStore({
    home: options.home,
    ...(options.db === undefined ? {} : { url: options.db }),
    ...(options.sqliteSynchronous === undefined
      ? {}
      : { sqliteSynchronous: options.sqliteSynchronous }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    const blobs = await openBlobStore({
      home: options.home,
      store,
      ...(options.blobsDir === undefined ? {} : { dir: options.blobsDir }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    return { store, blobs };
  } catch (error) {
    await store.close();
    throw error;
  }
}
