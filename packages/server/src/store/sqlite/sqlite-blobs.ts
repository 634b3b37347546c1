import { KolejkaError } from '@kolejka/spec';
import { assertBlobHash, assertLimit } from '../store-rules.js';
import type { BlobRecord, ReferenceRecord } from '../store.js';
import { isConstraintError, type SqliteDb } from './sqlite-db.js';
import {
  blobFromRow,
  ms,
  referenceFromRow,
  type BlobRow,
  type ReferenceRow,
} from './sqlite-rows.js';

/* Blob records and references. Foreign keys from refs, task_blobs and result_blobs to blobs
 * make "nothing names a blob without a record" hold inside the engine itself. */

const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM refs WHERE refs.hash = blobs.hash)
  AND NOT EXISTS (SELECT 1 FROM task_blobs WHERE task_blobs.hash = blobs.hash)
  AND NOT EXISTS (SELECT 1 FROM result_blobs WHERE result_blobs.hash = blobs.hash)
  AND NOT EXISTS (SELECT 1 FROM schedule_blobs WHERE schedule_blobs.hash = blobs.hash)`;

export function putBlob(db: SqliteDb, blob: BlobRecord): BlobRecord {
  assertBlobHash(blob.hash);
  if (!Number.isSafeInteger(blob.size) || blob.size < 0)
    throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid blob size ${String(blob.size)}`);
  const row = db.write(() => {
    db.run(
      `INSERT INTO blobs (hash, size, created_at, touched_at)
       VALUES (@hash, @size, @createdAt, @createdAt)
       ON CONFLICT (hash) DO UPDATE SET touched_at = max(touched_at, excluded.touched_at)`,
      { hash: blob.hash, size: blob.size, createdAt: ms(blob.createdAt) },
    );
    return db.get<BlobRow>('SELECT * FROM blobs WHERE hash = @hash', { hash: blob.hash });
  });
  if (row === undefined) throw new Error('blob record vanished inside its own transaction');
  return blobFromRow(row);
}

export function getBlob(db: SqliteDb, hash: string): BlobRecord | undefined {
  const row = db.get<BlobRow>('SELECT * FROM blobs WHERE hash = @hash', { hash });
  return row && blobFromRow(row);
}

export function removeBlobIfUnreferenced(db: SqliteDb, hash: string): boolean {
  return (
    db.write(() => db.run(`DELETE FROM blobs WHERE hash = @hash AND ${UNREFERENCED}`, { hash }))
      .changes > 0
  );
}

export function listUnreferencedBlobs(
  db: SqliteDb,
  limit: number,
  createdBefore?: Date,
): BlobRecord[] {
  assertLimit(limit);
  return db
    .all<BlobRow>(
      `SELECT * FROM blobs
       WHERE (@before IS NULL OR touched_at < @before) AND ${UNREFERENCED}
       ORDER BY touched_at, hash LIMIT @limit`,
      { before: ms(createdBefore), limit },
    )
    .map(blobFromRow);
}

export function blobTotals(db: SqliteDb): { count: number; bytes: number } {
  const row = db.get<{ count: number; bytes: number }>(
    'SELECT count, bytes FROM blob_totals WHERE id = 1',
  );
  return { count: row?.count ?? 0, bytes: row?.bytes ?? 0 };
}

function assertBlobRecorded(db: SqliteDb, hash: string): void {
  if (db.get('SELECT 1 FROM blobs WHERE hash = @hash', { hash }) === undefined)
    throw new KolejkaError(
      'KOLEJKA_NOT_FOUND',
      `Blob ${hash} is not stored: upload it before referring to it`,
    );
}

function insertReference(db: SqliteDb, reference: ReferenceRecord): void {
  try {
    db.run(
      `INSERT INTO refs (key, hash, owner, is_public, created_at, accessed_at)
       VALUES (@key, @hash, @owner, @isPublic, @createdAt, @accessedAt)`,
      {
        key: reference.key,
        hash: reference.hash,
        owner: reference.owner,
        isPublic: reference.isPublic ? 1 : 0,
        createdAt: ms(reference.createdAt),
        accessedAt: ms(reference.accessedAt),
      },
    );
  } catch (error) {
    if (isConstraintError(error, 'PRIMARYKEY'))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Reference ${reference.key} exists`, {
        cause: error,
      });
    throw error;
  }
}

export function createReference(db: SqliteDb, reference: ReferenceRecord): void {
  assertBlobHash(reference.hash);
  db.write(() => {
    assertBlobRecorded(db, reference.hash);
    insertReference(db, reference);
  });
}

export function getReference(db: SqliteDb, key: string): ReferenceRecord | undefined {
  const row = db.get<ReferenceRow>('SELECT * FROM refs WHERE key = @key', { key });
  return row && referenceFromRow(row);
}

export function ensureReference(
  db: SqliteDb,
  owner: string,
  hash: string,
  now: Date,
  newKey: string,
): ReferenceRecord {
  assertBlobHash(hash);
  return db.write(() => {
    const existing = db.get<ReferenceRow>(
      `SELECT * FROM refs WHERE owner = @owner AND hash = @hash
       ORDER BY created_at, key LIMIT 1`,
      { owner, hash },
    );
    if (existing !== undefined) return referenceFromRow(existing);
    assertBlobRecorded(db, hash);
    const reference: ReferenceRecord = {
      key: newKey,
      hash,
      owner,
      isPublic: false,
      createdAt: now,
      accessedAt: now,
    };
    insertReference(db, reference);
    return reference;
  });
}

export function hasReference(db: SqliteDb, owner: string, hash: string): boolean {
  return (
    db.get('SELECT 1 FROM refs WHERE owner = @owner AND hash = @hash LIMIT 1', { owner, hash }) !==
    undefined
  );
}

export function touchReference(db: SqliteDb, key: string, now: Date): void {
  db.write(() =>
    db.run('UPDATE refs SET accessed_at = @now WHERE key = @key', { key, now: ms(now) }),
  );
}

export function deleteReference(db: SqliteDb, key: string): boolean {
  return db.write(() => db.run('DELETE FROM refs WHERE key = @key', { key })).changes > 0;
}

export function deleteReferencesToBlob(db: SqliteDb, hash: string): number {
  return db.write(() => db.run('DELETE FROM refs WHERE hash = @hash', { hash })).changes;
}
