import type { ClientSession, Filter } from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import { decodeTaskCursor, encodeTaskCursor } from '../cursor.js';
import {
  assertLimit,
  assertNewTask,
  assertTaskFilter,
  distinctHashes,
  emptyStateCounts,
  specText,
  unknownBlobError,
  type FileBlob,
} from '../store-rules.js';
import type {
  Page,
  ResultRecord,
  TaskActivity,
  TaskFilter,
  TaskRecord,
  TaskState,
} from '../store.js';

const MINUTE_MS = 60_000;
import { claimBlobs } from './mongo-blobs.js';
import { isDuplicateKeyError, type MongoDatabase } from './mongo-db.js';
import { resultFromDoc, taskFromDoc, taskSearchFields, type TaskDoc } from './mongo-docs.js';
import { deleteTaskLinks, insertTaskLinks } from './mongo-dependencies.js';
import { appendEvent } from './mongo-events.js';

/* Creating, reading, listing and deleting tasks; state changes are in mongo-transitions. */

/** The document of a new task (checked by `assertNewTask`, whose blobs it names). */
export function newTaskDoc(task: TaskRecord, blobs: readonly FileBlob[]): TaskDoc {
  return {
    _id: task.key,
    owner: task.owner,
    spec: specText(task.spec),
    state: task.state,
    priority: task.priority,
    attempt: task.attempt,
    lostCount: task.lostCount,
    maxAttempts: task.maxAttempts,
    ...(task.assignee === undefined ? {} : { assignee: task.assignee }),
    ...(task.leaseExpiresAt === undefined ? {} : { leaseExpiresAt: task.leaseExpiresAt }),
    ...(task.reason === undefined ? {} : { reason: task.reason }),
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    ...(task.assignedAt === undefined ? {} : { assignedAt: task.assignedAt }),
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
    ...(task.finishedAt === undefined ? {} : { finishedAt: task.finishedAt }),
    ...(task.schedule === undefined ? {} : { schedule: task.schedule }),
    fileHashes: distinctHashes(blobs),
    ...taskSearchFields(task.spec),
  };
}

/** Inserts a new task with its event inside the caller's transaction. */
export async function insertTask(
  m: MongoDatabase,
  session: ClientSession,
  task: TaskRecord,
): Promise<void> {
  const blobs = assertNewTask(task);
  const doc = newTaskDoc(task, blobs);
  await claimBlobs(m, session, blobs, (blob) => unknownBlobError('task', blob));
  await m.collections.tasks.insertOne(doc, { session });
  await appendEvent(m, session, doc, task.updatedAt);
  await insertTaskLinks(m, session, task, task.updatedAt);
}

export async function createTask(m: MongoDatabase, task: TaskRecord): Promise<void> {
  assertNewTask(task);
  try {
    await m.transaction((session) => insertTask(m, session, task));
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Task ${task.key} exists`, { cause: error });
    throw error;
  }
}

export async function getTask(m: MongoDatabase, key: string): Promise<TaskRecord | undefined> {
  const doc = await m.collections.tasks.findOne({ _id: key });
  return doc === null ? undefined : taskFromDoc(doc);
}

export async function listTasks(
  m: MongoDatabase,
  filter: TaskFilter,
  limit: number,
  cursor?: string,
): Promise<Page<TaskRecord>> {
  assertLimit(limit);
  const { keyContains, sort } = assertTaskFilter(filter);
  const after = cursor === undefined ? undefined : decodeTaskCursor(cursor, sort);
  const isOldest = sort === 'oldest';
  const query: Filter<TaskDoc> = {};
  if (filter.owner !== undefined) query.owner = filter.owner;
  if (filter.assignee !== undefined) query.assignee = filter.assignee;
  if (filter.states !== undefined) query.state = { $in: filter.states };
  if (filter.createdAfter !== undefined || filter.createdBefore !== undefined)
    query.createdAt = {
      ...(filter.createdAfter === undefined ? {} : { $gt: filter.createdAfter }),
      ...(filter.createdBefore === undefined ? {} : { $lt: filter.createdBefore }),
    };
  if (filter.image !== undefined) query.image = filter.image;
  // An array field matches when any element equals the value (the multikey index by_tag).
  if (filter.tag !== undefined) query.requires = filter.tag;
  // Checked to be hex digits: nothing to escape.
  if (keyContains !== undefined) query._id = { $regex: keyContains };
  if (after !== undefined) {
    const at = new Date(after.createdAtMs);
    query.$or = isOldest
      ? [{ createdAt: { $gt: at } }, { createdAt: at, _id: { $gt: after.key } }]
      : [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: after.key } }];
  }
  const docs = await m.collections.tasks
    .find(query)
    .sort(isOldest ? { createdAt: 1, _id: 1 } : { createdAt: -1, _id: -1 })
    .limit(limit + 1)
    .toArray();
  const items = docs.slice(0, limit).map(taskFromDoc);
  const last = items[items.length - 1];
  return docs.length > limit && last !== undefined
    ? {
        items,
        nextCursor: encodeTaskCursor({
          createdAtMs: last.createdAt.getTime(),
          key: last.key,
          sort,
        }),
      }
    : { items };
}

export async function listQueuedTasks(
  m: MongoDatabase,
  limit: number,
  after?: { priority: number; createdAt: Date; key: string },
): Promise<TaskRecord[]> {
  assertLimit(limit);
  const query: Filter<TaskDoc> = { state: 'queued' };
  if (after !== undefined)
    query.$or = [
      { priority: { $lt: after.priority } },
      { priority: after.priority, createdAt: { $gt: after.createdAt } },
      { priority: after.priority, createdAt: after.createdAt, _id: { $gt: after.key } },
    ];
  const docs = await m.collections.tasks
    .find(query)
    .sort({ priority: -1, createdAt: 1, _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(taskFromDoc);
}

export async function countTasksByState(m: MongoDatabase): Promise<Record<TaskState, number>> {
  const counts = emptyStateCounts();
  const rows = await m.collections.tasks
    .aggregate<{ _id: TaskState; n: number }>([{ $group: { _id: '$state', n: { $sum: 1 } } }])
    .toArray();
  for (const row of rows) counts[row._id] = row.n;
  return counts;
}

export async function taskActivity(
  m: MongoDatabase,
  since: Date,
  owner?: string,
): Promise<TaskActivity> {
  const ofOwner = owner === undefined ? {} : { owner };
  const waits = await m.collections.tasks
    .aggregate<{ wait: number }>([
      { $match: { assignedAt: { $gte: since }, ...ofOwner } },
      { $project: { _id: 0, wait: { $subtract: ['$assignedAt', '$createdAt'] } } },
      { $sort: { wait: 1 } },
    ])
    .toArray();
  const ended = await m.collections.tasks
    .aggregate<{
      _id: { minute: number; state: TaskActivity['ended'][number]['state'] };
      count: number;
    }>([
      {
        $match: {
          finishedAt: { $gte: since },
          state: { $in: ['finished', 'failed', 'cancelled'] },
          ...ofOwner,
        },
      },
      {
        $group: {
          _id: {
            minute: { $floor: { $divide: [{ $subtract: ['$finishedAt', since] }, MINUTE_MS] } },
            state: '$state',
          },
          count: { $sum: 1 },
        },
      },
    ])
    .toArray();
  return {
    waitsMs: waits.map((row) => row.wait),
    ended: ended.map((row) => ({ minute: row._id.minute, state: row._id.state, count: row.count })),
  };
}

export async function deleteTask(m: MongoDatabase, key: string, now: Date): Promise<boolean> {
  return m.transaction(async (session) => {
    const doc = await m.collections.tasks.findOneAndDelete({ _id: key }, { session });
    if (doc === null) return false;
    await m.collections.results.deleteOne({ _id: key }, { session });
    await appendEvent(m, session, doc, now, true);
    await deleteTaskLinks(m, session, key);
    return true;
  });
}

export async function getResult(
  m: MongoDatabase,
  taskKey: string,
): Promise<ResultRecord | undefined> {
  const doc = await m.collections.results.findOne({ _id: taskKey });
  return doc === null ? undefined : resultFromDoc(doc);
}
