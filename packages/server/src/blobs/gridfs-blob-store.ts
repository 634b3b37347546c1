import { finished } from 'node:stream/promises';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import {
  GridFSBucket,
  MongoServerError,
  ObjectId,
  type Collection,
  type Db,
  type GridFSChunk,
  type GridFSFile,
} from 'mongodb';
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

export interface GridFsBlobStoreOptions {
  /** The database (the MongoDB store's, so blobs and records share one connection). */
  db: Db;
  /** Collections `<bucket>.files` and `<bucket>.chunks`. Default `blobdata`. */
  bucketName?: string;
  logger?: Logger;
}

/** What a stored file's `metadata` holds. */
interface BlobMetadata {
  /** Set once the upload is complete and verified; unique. Absent while uploading. */
  hash?: string;
  /** Last store or dedup of this content (see deleteIfStale). */
  touchedAt?: Date;
}

type BlobFile = GridFSFile & { metadata?: BlobMetadata };

export async function openGridFsBlobStore(
  options: GridFsBlobStoreOptions,
): Promise<GridFsBlobStore> {
  const bucketName = options.bucketName ?? 'blobdata';
  const store = new GridFsBlobStore(options.db, bucketName, options.logger ?? noopLogger);
  // The one content per hash is enforced here; uploads in progress have no hash yet.
  await store.files.createIndex(
    { 'metadata.hash': 1 },
    {
      name: 'by_hash',
      unique: true,
      partialFilterExpression: { 'metadata.hash': { $exists: true } },
    },
  );
  return store;
}

const isDuplicateKey = (error: unknown): boolean =>
  error instanceof MongoServerError && error.code === 11000;

/**
 * Blobs in MongoDB GridFS. An upload is streamed into a file without a hash; once its hash is
 * verified the file is given it (a unique index): if another file has it already, the upload
 * is discarded and the existing one refreshed (dedup).
 */
export class GridFsBlobStore implements BlobStore {
  readonly bucket: GridFSBucket;
  readonly files: Collection<BlobFile>;
  private readonly chunks: Collection<GridFSChunk>;
  private readonly logger: Logger;

  constructor(db: Db, bucketName: string, logger: Logger) {
    this.bucket = new GridFSBucket(db, { bucketName });
    this.files = db.collection<BlobFile>(`${bucketName}.files`);
    this.chunks = db.collection<GridFSChunk>(`${bucketName}.chunks`);
    this.logger = logger;
  }

  async put(content: Readable, options: PutBlobOptions = {}): Promise<PutBlobResult> {
    const id = new ObjectId();
    const upload = this.bucket.openUploadStreamWithId(id, `upload-${id.toHexString()}`, {
      metadata: {} satisfies BlobMetadata,
    });
    // Listened to from the start: an 'error' with no listener would crash the process.
    let failure: Error | undefined;
    upload.on('error', (error: Error) => (failure ??= error));
    let hash: string;
    let size: number;
    try {
      ({ hash, size } = await hashingCopy(
        content,
        async (chunk) => {
          if (failure !== undefined) throw failure;
          // `once` rejects if the upload fails while we wait for it to drain.
          if (!upload.write(chunk)) await once(upload, 'drain');
        },
        options,
      ));
      upload.end();
      await finished(upload);
    } catch (error) {
      if (!content.destroyed) content.destroy();
      await upload.abort().catch(() => undefined);
      throw error;
    }
    try {
      const isNew = await this.commit(id, hash);
      return { hash, size, isNew };
    } catch (error) {
      await this.deleteFile(id);
      throw error;
    }
  }

  /** Gives the finished upload its hash; false (and the upload removed) when it existed. */
  private async commit(id: ObjectId, hash: string): Promise<boolean> {
    for (let round = 0; round < 5; round++) {
      try {
        await this.files.updateOne(
          { _id: id },
          { $set: { filename: hash, 'metadata.hash': hash, 'metadata.touchedAt': new Date() } },
        );
        return true;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      const touched = await this.files.updateOne(
        { 'metadata.hash': hash },
        { $set: { 'metadata.touchedAt': new Date() } },
      );
      if (touched.matchedCount > 0) {
        await this.deleteFile(id);
        return false;
      }
      // gc removed the existing file between the two updates: claim the hash again.
    }
    throw new KolejkaError(
      'KOLEJKA_UNAVAILABLE',
      `Could not store blob ${hash}: it kept disappearing`,
    );
  }

  private async find(hash: string): Promise<BlobFile | undefined> {
    if (!isBlobHash(hash)) return undefined;
    return (await this.files.findOne({ 'metadata.hash': hash })) ?? undefined;
  }

  async size(hash: string): Promise<number | undefined> {
    return (await this.find(hash))?.length;
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    const file = await this.find(hash);
    if (file === undefined)
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `Blob ${hash} is not stored`);
    if (range === undefined) return this.bucket.openDownloadStream(file._id);
    const { start, end } = checkRange(range, file.length);
    // GridFS takes an exclusive end.
    return this.bucket.openDownloadStream(file._id, { start, end: end + 1 });
  }

  async delete(hash: string): Promise<void> {
    if (!isBlobHash(hash)) return;
    for (const file of await this.files.find({ 'metadata.hash': hash }).toArray())
      await this.deleteFile(file._id);
  }

  async deleteIfStale(hash: string, olderThan: Date): Promise<boolean> {
    if (!isBlobHash(hash)) return false;
    // One conditional update takes the hash away unless a put refreshed it: a later put
    // then stores the content anew instead of deduplicating against a file being deleted.
    const file = await this.files.findOneAndUpdate(
      { 'metadata.hash': hash, 'metadata.touchedAt': { $lt: olderThan } },
      { $unset: { 'metadata.hash': '' }, $set: { filename: `deleted-${hash}` } },
    );
    if (file === null) return false;
    await this.deleteFile(file._id);
    return true;
  }

  async *list(signal?: AbortSignal): AsyncIterable<StoredBlob> {
    const cursor = this.files.find({ 'metadata.hash': { $exists: true } });
    try {
      for await (const file of cursor) {
        signal?.throwIfAborted();
        const hash = file.metadata?.hash;
        if (hash !== undefined)
          yield {
            hash,
            size: file.length,
            modifiedAt: file.metadata?.touchedAt ?? file.uploadDate,
          };
      }
    } finally {
      await cursor.close();
    }
  }

  async sweepTemp(olderThan: Date): Promise<number> {
    let removed = 0;
    // Finished but never committed (the process died in between), or left by a gc.
    for (const file of await this.files
      .find({ 'metadata.hash': { $exists: false }, uploadDate: { $lt: olderThan } })
      .toArray()) {
      await this.deleteFile(file._id);
      removed++;
    }
    // Chunks of uploads that died before GridFS wrote their file document; the id's
    // embedded time tells their age.
    const orphans = this.chunks.aggregate<{ _id: ObjectId }>(
      [
        {
          $match: {
            files_id: { $lt: ObjectId.createFromTime(Math.floor(olderThan.getTime() / 1000)) },
          },
        },
        { $group: { _id: '$files_id' } },
        {
          $lookup: {
            from: this.files.collectionName,
            localField: '_id',
            foreignField: '_id',
            as: 'file',
          },
        },
        { $match: { file: { $size: 0 } } },
        { $project: { _id: 1 } },
      ],
      { allowDiskUse: true },
    );
    for await (const orphan of orphans) {
      await this.chunks.deleteMany({ files_id: orphan._id });
      removed++;
    }
    return removed;
  }

  private async deleteFile(id: ObjectId): Promise<void> {
    try {
      await this.bucket.delete(id);
    } catch (error) {
      // Already gone (a concurrent delete): that is the goal.
      this.logger.debug('blob file already deleted', {
        id: id.toHexString(),
        error: String(error),
      });
    }
  }

  close(): Promise<void> {
    // The connection belongs to the MongoDB store.
    return Promise.resolve();
  }
}
