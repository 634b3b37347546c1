import type { ClientSession } from 'mongodb';
import { assertLimit } from '../store-rules.js';
import { TASK_HISTORY_LIMIT, type TaskEvent } from '../store.js';
import type { MongoDatabase } from './mongo-db.js';
import { eventFromDoc, type EventDoc, type TaskDoc } from './mongo-docs.js';

/**
 * Appends the event of a task's new state inside the transaction that changed it. The seq
 * comes from a counter document incremented in the same transaction: every appender writes
 * that one document, so appenders serialise (a concurrent one conflicts and is retried after
 * this commits) and seq order is commit order — a follower reading `seq > n` misses nothing.
 */
export async function appendEvent(
  m: MongoDatabase,
  session: ClientSession,
  task: TaskDoc,
  at: Date,
  isDeleted = false,
): Promise<void> {
  const counter = await m.collections.counters.findOneAndUpdate(
    { _id: 'events' },
    { $inc: { seq: 1 } },
    { session, upsert: true, returnDocument: 'after' },
  );
  if (counter === null) throw new Error('the event counter upsert returned nothing');
  const event: EventDoc = {
    _id: counter.seq,
    taskKey: task._id,
    owner: task.owner,
    state: task.state,
    attempt: task.attempt,
    ...(task.assignee === undefined || task.assignee === null ? {} : { assignee: task.assignee }),
    ...(isDeleted ? { isDeleted: true as const } : {}),
    ...(typeof task.reason === 'string' ? { reason: task.reason } : {}),
    at,
  };
  await m.collections.events.insertOne(event, { session });
}

export async function readEvents(
  m: MongoDatabase,
  afterSeq: number,
  limit: number,
): Promise<TaskEvent[]> {
  assertLimit(limit);
  const docs = await m.collections.events
    .find({ _id: { $gt: afterSeq } })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map(eventFromDoc);
}

/** Newest first through the by_task index, turned oldest first. */
export async function taskHistory(m: MongoDatabase, key: string): Promise<TaskEvent[]> {
  const docs = await m.collections.events
    .find({ taskKey: key })
    .sort({ _id: -1 })
    .limit(TASK_HISTORY_LIMIT)
    .toArray();
  return docs.reverse().map(eventFromDoc);
}

/** The highest seq ever issued (the counter; pruning events never lowers it). */
export async function lastEventSeq(m: MongoDatabase): Promise<number> {
  return (await m.collections.counters.findOne({ _id: 'events' }))?.seq ?? 0;
}

export async function deleteEventsBefore(m: MongoDatabase, before: Date): Promise<number> {
  return (await m.collections.events.deleteMany({ at: { $lt: before } })).deletedCount;
}
