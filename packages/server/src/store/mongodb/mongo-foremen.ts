import type { ForemanChanges, ForemanRecord } from '../store.js';
import type { MongoDatabase } from './mongo-db.js';
import { foremanFromDoc, type ForemanDoc } from './mongo-docs.js';

export async function upsertForeman(m: MongoDatabase, foreman: ForemanRecord): Promise<void> {
  const doc: ForemanDoc = {
    _id: foreman.id,
    username: foreman.username,
    tags: [...foreman.tags],
    capacity: { ...foreman.capacity },
    ...(foreman.version === undefined ? {} : { version: foreman.version }),
    isOnline: foreman.isOnline,
    isDraining: foreman.isDraining,
    ...(foreman.serverId === undefined ? {} : { serverId: foreman.serverId }),
    ...(foreman.lastHeartbeatAt === undefined ? {} : { lastHeartbeatAt: foreman.lastHeartbeatAt }),
    updatedAt: foreman.updatedAt,
  };
  await m.collections.foremen.replaceOne({ _id: foreman.id }, doc, { upsert: true });
}

export async function getForeman(m: MongoDatabase, id: string): Promise<ForemanRecord | undefined> {
  const doc = await m.collections.foremen.findOne({ _id: id });
  return doc === null ? undefined : foremanFromDoc(doc);
}

export async function listForemen(m: MongoDatabase): Promise<ForemanRecord[]> {
  return (await m.collections.foremen.find().sort({ _id: 1 }).toArray()).map(foremanFromDoc);
}

export async function updateForeman(
  m: MongoDatabase,
  id: string,
  changes: ForemanChanges,
  now: Date,
): Promise<ForemanRecord | undefined> {
  const $set: Partial<ForemanDoc> = { updatedAt: now };
  const $unset: Record<string, ''> = {};
  if ('isOnline' in changes) $set.isOnline = changes.isOnline === true;
  if ('isDraining' in changes) $set.isDraining = changes.isDraining === true;
  // `key in changes` rather than `!== undefined`: an explicit undefined clears an optional field.
  if ('serverId' in changes) {
    if (changes.serverId === undefined) $unset.serverId = '';
    else $set.serverId = changes.serverId;
  }
  if ('lastHeartbeatAt' in changes) {
    if (changes.lastHeartbeatAt === undefined) $unset.lastHeartbeatAt = '';
    else $set.lastHeartbeatAt = changes.lastHeartbeatAt;
  }
  if (changes.tags !== undefined) $set.tags = [...changes.tags];
  if (changes.capacity !== undefined) $set.capacity = { ...changes.capacity };
  const doc = await m.collections.foremen.findOneAndUpdate(
    { _id: id },
    Object.keys($unset).length > 0 ? { $set, $unset } : { $set },
    { returnDocument: 'after' },
  );
  return doc === null ? undefined : foremanFromDoc(doc);
}
