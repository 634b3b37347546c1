import { openGridFsBlobStore } from '../src/blobs/gridfs-blob-store.js';
import { openMongoStore } from '../src/store/mongodb/mongo-store.js';
import { describeBlobStoreConformance } from './blob-conformance.js';
import { MONGODB_URL, scratchDatabaseName, skipWithoutMongo } from './store-mongodb-env.js';

if (!skipWithoutMongo('GridFS blob store conformance'))
  describeBlobStoreConformance({
    name: 'GridFS',
    async create() {
      const store = await openMongoStore({
        url: MONGODB_URL!,
        databaseName: scratchDatabaseName(),
      });
      const db = store.database.db;
      const blobs = await openGridFsBlobStore({ db });
      return {
        blobs,
        async leftovers() {
          // Files without a hash are uploads that were never committed; chunks without a
          // file are uploads that never finished.
          const files = await blobs.files.find({ 'metadata.hash': { $exists: false } }).toArray();
          const fileIds = new Set(
            (await blobs.files.find({}, { projection: { _id: 1 } }).toArray()).map((f) =>
              f._id.toHexString(),
            ),
          );
          const chunkFileIds = (await db.collection('blobdata.chunks').distinct('files_id')) as {
            toHexString(): string;
          }[];
          return [
            ...files.map((f) => `file ${f.filename}`),
            ...chunkFileIds
              .filter((id) => !fileIds.has(id.toHexString()))
              .map((id) => `chunks of ${id.toHexString()}`),
          ];
        },
        async destroy() {
          await blobs.close();
          await db.dropDatabase();
          await store.close();
        },
      };
    },
  });
