import type { ClientSession, Filter } from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import {
  applyScheduleChanges,
  assertFireTask,
  assertNewSchedule,
  consumeTick,
  decideFiring,
} from '../schedule-rules.js';
import { distinctHashes, specText, unknownBlobError } from '../store-rules.js';
import type {
  FireOutcome,
  ScheduleChanges,
  ScheduleFilter,
  ScheduleRecord,
  TaskRecord,
} from '../store.js';
import { claimBlobs } from './mongo-blobs.js';
import { isDuplicateKeyError, type MongoDatabase } from './mongo-db.js';
import { scheduleFromDoc, taskFromDoc, type ScheduleDoc } from './mongo-docs.js';
import { insertTask } from './mongo-tasks.js';

/* Cron schedules (issue 12): the records and the firing claim. */

/** The fields of a schedule that change after its creation, as a `$set` / `$unset` pair. */
function stateUpdate(schedule: ScheduleRecord): {
  $set: Partial<ScheduleDoc>;
  $unset?: Record<string, ''>;
} {
  const unset: Record<string, ''> = {};
  for (const name of ['lastTickAt', 'lastFiredAt', 'lastTaskKey'] as const)
    if (schedule[name] === undefined) unset[name] = '';
  return {
    $set: {
      priority: schedule.priority,
      isPaused: schedule.isPaused,
      ...(schedule.lastTickAt === undefined ? {} : { lastTickAt: schedule.lastTickAt }),
      ...(schedule.lastFiredAt === undefined ? {} : { lastFiredAt: schedule.lastFiredAt }),
      ...(schedule.lastTaskKey === undefined ? {} : { lastTaskKey: schedule.lastTaskKey }),
      firedCount: schedule.firedCount,
      skippedCount: schedule.skippedCount,
      updatedAt: schedule.updatedAt,
    },
    ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
  };
}

export async function createSchedule(m: MongoDatabase, schedule: ScheduleRecord): Promise<void> {
  const blobs = assertNewSchedule(schedule);
  const doc: ScheduleDoc = {
    _id: schedule.id,
    owner: schedule.owner,
    ...(schedule.name === undefined ? {} : { name: schedule.name }),
    cron: schedule.cron,
    timezone: schedule.timezone,
    spec: specText(schedule.spec),
    priority: schedule.priority,
    overlap: schedule.overlap,
    isPaused: schedule.isPaused,
    ...(schedule.lastTickAt === undefined ? {} : { lastTickAt: schedule.lastTickAt }),
    ...(schedule.lastFiredAt === undefined ? {} : { lastFiredAt: schedule.lastFiredAt }),
    ...(schedule.lastTaskKey === undefined ? {} : { lastTaskKey: schedule.lastTaskKey }),
    firedCount: schedule.firedCount,
    skippedCount: schedule.skippedCount,
    createdAt: schedule.createdAt,
    updatedAt: schedule.updatedAt,
    fileHashes: distinctHashes(blobs),
  };
  try {
    await m.transaction(async (session) => {
      // Writes the blob records, so a concurrent gc removal conflicts (see claimBlobs).
      await claimBlobs(m, session, blobs, (blob) => unknownBlobError('task', blob));
      await m.collections.schedules.insertOne(doc, { session });
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Schedule ${schedule.id} exists`, {
        cause: error,
      });
    throw error;
  }
}

export async function getSchedule(
  m: MongoDatabase,
  id: string,
): Promise<ScheduleRecord | undefined> {
  const doc = await m.collections.schedules.findOne({ _id: id });
  return doc === null ? undefined : scheduleFromDoc(doc);
}

export async function listSchedules(
  m: MongoDatabase,
  filter: ScheduleFilter,
): Promise<ScheduleRecord[]> {
  const query: Filter<ScheduleDoc> = {};
  if (filter.owner !== undefined) query.owner = filter.owner;
  if (filter.isPaused !== undefined) query.isPaused = filter.isPaused;
  const docs = await m.collections.schedules.find(query).sort({ createdAt: 1, _id: 1 }).toArray();
  return docs.map(scheduleFromDoc);
}

export async function updateSchedule(
  m: MongoDatabase,
  id: string,
  changes: ScheduleChanges,
  now: Date,
): Promise<ScheduleRecord | undefined> {
  return m.transaction(async (session) => {
    const doc = await m.collections.schedules.findOne({ _id: id }, { session });
    if (doc === null) return undefined;
    const next = applyScheduleChanges(scheduleFromDoc(doc), changes, now);
    await m.collections.schedules.updateOne({ _id: id }, stateUpdate(next), { session });
    return next;
  });
}

export async function deleteSchedule(m: MongoDatabase, id: string): Promise<boolean> {
  return (await m.collections.schedules.deleteOne({ _id: id })).deletedCount > 0;
}

/**
 * One transaction: reading the schedule and its last task, inserting the task and consuming
 * the tick. Two processes racing for one tick both write the schedule document; snapshot
 * isolation makes one of them conflict, retry, and then see the tick consumed (`stale`).
 */
export async function fireSchedule(
  m: MongoDatabase,
  id: string,
  tick: Date,
  task: TaskRecord,
  now: Date,
): Promise<FireOutcome> {
  assertFireTask(id, task);
  try {
    return await m.transaction(async (session: ClientSession): Promise<FireOutcome> => {
      const doc = await m.collections.schedules.findOne({ _id: id }, { session });
      if (doc === null) return { outcome: 'not_found' };
      const schedule = scheduleFromDoc(doc);
      const last =
        schedule.lastTaskKey === undefined
          ? null
          : await m.collections.tasks.findOne(
              { _id: schedule.lastTaskKey },
              { session, projection: { state: 1 } },
            );
      const decision = decideFiring(schedule, tick, last?.state);
      if (decision === 'stale') return { outcome: 'stale', schedule };
      if (decision === 'skipped') {
        const skipped = consumeTick(schedule, tick, now, undefined);
        await m.collections.schedules.updateOne({ _id: id }, stateUpdate(skipped), { session });
        return { outcome: 'skipped', schedule: skipped };
      }
      await insertTask(m, session, task);
      const fired = consumeTick(schedule, tick, now, task.key);
      await m.collections.schedules.updateOne({ _id: id }, stateUpdate(fired), { session });
      const created = await m.collections.tasks.findOne({ _id: task.key }, { session });
      if (created === null) throw new Error('the fired task vanished inside its transaction');
      return { outcome: 'fired', schedule: fired, task: taskFromDoc(created) };
    });
  } catch (error) {
    if (isDuplicateKeyError(error))
      throw new KolejkaError('KOLEJKA_CONFLICT', `Task ${task.key} exists`, { cause: error });
    throw error;
  }
}
