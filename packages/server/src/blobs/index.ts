export {
  isBlobHash,
  type BlobStore,
  type ByteRange,
  type PutBlobOptions,
  type PutBlobResult,
  type StoredBlob,
} from './blob-store.js';
export { FsBlobStore, openFsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
// Types only: the MongoDB driver loads when a MongoDB store asks for GridFS.
export type { GridFsBlobStore, GridFsBlobStoreOptions } from './gridfs-blob-store.js';
export { openBlobStore, type OpenBlobStoreOptions } from './open-blob-store.js';
export { checkRange } from './range.js';
