import { assertQueuePolicy, newQueueOrder, orderOf, pauseScope } from '../queue-control-rules.js';
import { assertStates } from '../store-rules.js';
import type {
  MoveOutcome,
  QueuePauseRecord,
  TaskPlacement,
  TaskRecord,
  TaskState,
  UserQueuePolicyChanges,
} from '../store.js';
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

/** A task's place among its priority: `queueOrder`, else `createdAt` in milliseconds. */
const ORDER = { $ifNull: ['$queueOrder', { $toLong: '$createdAt' }] };

export async function moveTask(
  m: MongoDatabase,
  key: string,
  placement: TaskPlacement,
  now: Date,
): Promise<MoveOutcome> {
  // A transaction: the neighbours read (snapshot) and the one task written commit together;
  // two moves racing into one gap conflict and the driver retries the later one.
  return m.transaction(async (session): Promise<MoveOutcome> => {
    const tasks = m.collections.tasks;
    const doc = await tasks.findOne({ _id: key }, { session });
    if (doc === null) return { outcome: 'not_found' };
    if (doc.state !== 'waiting' && doc.state !== 'queued')
      return { outcome: 'wrong_state', key, state: doc.state };
    const same = {
      priority: doc.priority,
      state: { $in: ['waiting', 'queued'] },
      _id: { $ne: key },
    };
    const bounds = async (
      extra: Record<string, unknown>,
    ): Promise<{ min?: number; max?: number }> => {
      const [row] = await tasks
        .aggregate<{ min: number; max: number }>(
          [
            { $match: same },
            { $project: { order: ORDER } },
            ...(Object.keys(extra).length > 0 ? [{ $match: extra }] : []),
            { $group: { _id: null, min: { $min: '$order' }, max: { $max: '$order' } } },
          ],
          { session },
        )
        .toArray();
      return row === undefined ? {} : { min: Number(row.min), max: Number(row.max) };
    };
    let order: number | undefined;
    if ('to' in placement) {
      const { min, max } = await bounds({});
      if (min === undefined || max === undefined)
        return { outcome: 'moved', task: taskFromDoc(doc) };
      order = newQueueOrder(placement, { min, max });
    } else {
      const target = await tasks.findOne({ _id: placement.before }, { session });
      if (target === null) return { outcome: 'before_not_found' };
      if (target.state !== 'waiting' && target.state !== 'queued')
        return { outcome: 'wrong_state', key: target._id, state: target.state };
      if (target.priority !== doc.priority)
        return { outcome: 'other_priority', priority: target.priority };
      if (target._id === key) return { outcome: 'moved', task: taskFromDoc(doc) };
      const targetOrder = orderOf(target);
      const { max: ahead } = await bounds({ order: { $lt: targetOrder } });
      order = newQueueOrder(placement, {
        target: targetOrder,
        ...(ahead === undefined ? {} : { ahead }),
      });
    }
    if (order === undefined) return { outcome: 'no_room' };
    const moved = await tasks.findOneAndUpdate(
      { _id: key },
      { $set: { queueOrder: order, updatedAt: now } },
      { session, returnDocument: 'after' },
    );
    if (moved === null) return { outcome: 'not_found' };
    await appendEvent(m, session, moved, now);
    return { outcome: 'moved', task: taskFromDoc(moved) };
  });
}
