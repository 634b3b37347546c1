import { assertQueuePolicy, pauseScope } from '../queue-control-rules.js';
import { assertStates } from '../store-rules.js';
import type { QueuePauseRecord, TaskRecord, TaskState, UserQueuePolicyChanges } from '../store.js';
import { isDuplicateKeyError, type MongoDatabase } from './mongo-db.js';
import { taskFromDoc } from './mongo-docs.js';
import { appendEvent } from './mongo-events.js';

/* Queue control (issue 12): pauses, priority changes, per-user weight and limits. */

export async function pauseQueue(m: MongoDatabase, pause: QueuePauseRecord): Promise<boolean> {
  const scope = pauseScope(pause.tag);
  try {
    await m.collections.queuePauses.insertOne({
      _id: scope,
      pausedBy: pause.pausedBy,
      pausedAt: pause.pausedAt,
    });
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

export async function resumeQueue(m: MongoDatabase, tag?: string): Promise<boolean> {
  const scope = pauseScope(tag);
  return (await m.collections.queuePauses.deleteOne({ _id: scope })).deletedCount > 0;
}

export async function listQueuePauses(m: MongoDatabase): Promise<QueuePauseRecord[]> {
  const docs = await m.collections.queuePauses.find().sort({ _id: 1 }).toArray();
  return docs.map((doc) => ({
    ...(doc._id === '' ? {} : { tag: doc._id }),
    pausedBy: doc.pausedBy,
    pausedAt: doc.pausedAt,
  }));
}

export async function setTaskPriority(
  m: MongoDatabase,
  key: string,
  priority: number,
  now: Date,
): Promise<TaskRecord | undefined> {
  // A transaction: the task and its event are written together (store rule).
  const doc = await m.transaction(async (session) => {
    const changed = await m.collections.tasks.findOneAndUpdate(
      { _id: key, state: { $in: ['waiting', 'queued'] } },
      { $set: { priority, updatedAt: now } },
      { session, returnDocument: 'after' },
    );
    if (changed === null) return undefined;
    await appendEvent(m, session, changed, now);
    return changed;
  });
  return doc && taskFromDoc(doc);
}

export async function setUserQueuePolicy(
  m: MongoDatabase,
  username: string,
  changes: UserQueuePolicyChanges,
): Promise<boolean> {
  assertQueuePolicy(changes);
  const set: Record<string, number> = {};
  const unset: Record<string, ''> = {};
  for (const field of ['weight', 'maxRunning', 'maxQueued'] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    if (value === null) unset[field] = '';
    else set[field] = value;
  }
  const update = {
    ...(Object.keys(set).length > 0 ? { $set: set } : {}),
    ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
  };
  if (Object.keys(update).length === 0)
    return (await m.collections.users.countDocuments({ _id: username }, { limit: 1 })) > 0;
  return (await m.collections.users.updateOne({ _id: username }, update)).matchedCount > 0;
}

export async function countTasksOf(
  m: MongoDatabase,
  owner: string,
  states: TaskState[],
): Promise<number> {
  assertStates(states);
  return m.collections.tasks.countDocuments({ owner, state: { $in: states } });
}
