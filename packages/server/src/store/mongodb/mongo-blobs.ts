import type { ClientSession, Document } from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import { assertBlobHash, assertLimit, type FileBlob } from '../store-rules.js';
import type { BlobRecord, ReferenceRecord } from '../store.js';
import { isDuplicateKeyError, type MongoDatabase } from './mongo-db.js';
import { blobFromDoc, referenceFromDoc, type BlobDoc } from './mongo-docs.js';

/* Blob records and references. */

export async function putBlob(m: MongoDatabase, blob: BlobRecord): Promise<BlobRecord> {
  assertBlobHash(blob.hash);
  if (!Number.isSafeInteger(blob.size) || blob.size < 0)
    throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid blob size ${String(blob.size)}`);
  const upsert = (): Promise<unknown> =>
    m.collections.blobs.updateOne(
      { _id: blob.hash },
      {
        $setOnInsert: { size: blob.size, createdAt: blob.createdAt },
        $max: { touchedAt: blob.createdAt },
      },
      { upsert: true },
    );
  try {
    await upsert();
  } catch (error) {
    // Two first uploads raced on the insert: the loser's retry updates the winner's record.
    if (!isDuplicateKeyError(error)) throw error;
    await upsert();
  }
  const doc = await m.collections.blobs.findOne({ _id: blob.hash });
  if (doc === null) throw new Error(`blob record ${blob.hash} vanished right after its upsert`);
  return blobFromDoc(doc);
}

export async function getBlob(m: MongoDatabase, hash: string): Promise<BlobRecord | undefined> {
  const doc = await m.collections.blobs.findOne({ _id: hash });
  return doc === null ? undefined : blobFromDoc(doc);
}

/**
 * Inside a transaction that makes something name these blobs: fails with KOLEJKA_NOT_FOUND
 * when one has no record, and writes each record so a concurrent removal conflicts.
 */
export async function claimBlobs(
  m: MongoDatabase,
  session: ClientSession,
  blobs: readonly FileBlob[],
  notFound: (blob: FileBlob) => KolejkaError,
): Promise<void> {
  const seen = new Set<string>();
  for (const blob of blobs) {
    if (seen.has(blob.hash)) continue;
    seen.add(blob.hash);
    const claimed = await m.collections.blobs.updateOne(
      { _id: blob.hash },
      { $inc: { claims: 1 } },
      { session },
    );
    if (claimed.matchedCount === 0) throw notFound(blob);
  }
}

const blobNotFound = (blob: FileBlob): KolejkaError =>
  new KolejkaError(
    'KOLEJKA_NOT_FOUND',
    `Blob ${blob.hash} is not stored: upload it before referring to it`,
  );

export async function removeBlobIfUnreferenced(m: MongoDatabase, hash: string): Promise<boolean> {
  return m.transaction(async (session) => {
    const named =
      (await m.collections.references.findOne({ hash }, { session, projection: { _id: 1 } })) ??
      (await m.collections.tasks.findOne(
        { fileHashes: hash },
        { session, projection: { _id: 1 } },
      )) ??
      (await m.collections.results.findOne(
        { fileHashes: hash },
        { session, projection: { _id: 1 } },
      )) ??
      (await m.collections.schedules.findOne(
        { fileHashes: hash },
        { session, projection: { _id: 1 } },
      ));
    if (named !== null) return false;
    return (await m.collections.blobs.deleteOne({ _id: hash }, { session })).deletedCount > 0;
  });
}

/** `$lookup` stages keeping only blobs that nothing in `from` names. */
function unnamedIn(from: string, foreignField: string): Document[] {
  return [
    {
      $lookup: {
        from,
        localField: '_id',
        foreignField,
        pipeline: [{ $limit: 1 }, { $project: { _id: 1 } }],
        as: `named_in_${from}`,
      },
    },
    { $match: { [`named_in_${from}`]: { $size: 0 } } },
  ];
}

export async function listUnreferencedBlobs(
  m: MongoDatabase,
  limit: number,
  createdBefore?: Date,
): Promise<BlobRecord[]> {
  assertLimit(limit);
  const docs = await m.collections.blobs
    .aggregate<BlobDoc>([
      { $match: createdBefore === undefined ? {} : { touchedAt: { $lt: createdBefore } } },
      { $sort: { touchedAt: 1, _id: 1 } },
      ...unnamedIn(m.collections.references.collectionName, 'hash'),
      ...unnamedIn(m.collections.tasks.collectionName, 'fileHashes'),
      ...unnamedIn(m.collections.results.collectionName, 'fileHashes'),
      ...unnamedIn(m.collections.schedules.collectionName, 'fileHashes'),
      { $limit: limit },
      { $project: { _id: 1, size: 1, createdAt: 1, touchedAt: 1 } },
    ])
    .toArray();
  return docs.map(blobFromDoc);
}

export async function blobTotals(m: MongoDatabase): Promise<{ count: number; bytes: number }> {
  const [totals] = await m.collections.blobs
    .aggregate<{ count: number; bytes: number }>([
      { $group: { _id: null, count: { $sum: 1 }, bytes: { $sum: '$size' } } },
    ])
    .toArray();
  return { count: totals?.count ?? 0, bytes: totals?.bytes ?? 0 };
}

export async function createReference(m: MongoDatabase, reference: ReferenceRecord): Promise<void> {
  assertBlobHash(reference.hash);
  try {
    await m.transaction(async (session) => {
      await claimBlobs(m, session, [{ name: reference.key, hash: reference.hash }], blobNotFound);
      await m.collections.references.insertOne(
        {
          _id: reference.key,
          hash: reference.hash,
          owner: reference.owner,
          isPublic: reference.isPublic,
          createdAt: reference.createdAt,
          accessedAt: reference.accessedAt,
        },
        { session },
      );
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Reference ${reference.key} exists`, {
        cause: error,
      });
    throw error;
  }
}

export async function getReference(
  m: MongoDatabase,
  key: string,
): Promise<ReferenceRecord | undefined> {
  const doc = await m.collections.references.findOne({ _id: key });
  return doc === null ? undefined : referenceFromDoc(doc);
}

export async function ensureReference(
  m: MongoDatabase,
  owner: string,
  hash: string,
  now: Date,
  newKey: string,
): Promise<ReferenceRecord> {
  assertBlobHash(hash);
  try {
    return await m.transaction(async (session) => {
      const existing = await m.collections.references.findOne(
        { owner, hash },
        { session, sort: { createdAt: 1, _id: 1 } },
      );
      if (existing !== null) return referenceFromDoc(existing);
      // Two racing first calls both write the blob record here: one conflicts, retries, and
      // then finds the other's reference.
      await claimBlobs(m, session, [{ name: newKey, hash }], blobNotFound);
      const reference: ReferenceRecord = {
        key: newKey,
        hash,
        owner,
        isPublic: false,
        createdAt: now,
        accessedAt: now,
      };
      await m.collections.references.insertOne(
        { _id: newKey, hash, owner, isPublic: false, createdAt: now, accessedAt: now },
        { session },
      );
      return reference;
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Reference ${newKey} exists`, { cause: error });
    throw error;
  }
}

export async function hasReference(
  m: MongoDatabase,
  owner: string,
  hash: string,
): Promise<boolean> {
  return (
    (await m.collections.references.findOne({ owner, hash }, { projection: { _id: 1 } })) !== null
  );
}

export async function touchReference(m: MongoDatabase, key: string, now: Date): Promise<void> {
  await m.collections.references.updateOne({ _id: key }, { $set: { accessedAt: now } });
}

export async function deleteReference(m: MongoDatabase, key: string): Promise<boolean> {
  return (await m.collections.references.deleteOne({ _id: key })).deletedCount > 0;
}

export async function deleteReferencesToBlob(m: MongoDatabase, hash: string): Promise<number> {
  return (await m.collections.references.deleteMany({ hash })).deletedCount;
}
