import type { ClientSession, Filter, UpdateFilter } from 'mongodb';
import {
  ACTIVE_TASK_STATES,
  LEASED_TASK_STATES,
  assertResultFor,
  assertStates,
  distinctHashes,
  refuseFinish,
  specText,
  unknownBlobError,
} from '../store-rules.js';
import type {
  Claim,
  ExpiredLease,
  FinishOutcome,
  ResultRecord,
  TaskRecord,
  TaskState,
} from '../store.js';
import { claimBlobs } from './mongo-blobs.js';
import type { MongoDatabase } from './mongo-db.js';
import { resultFromDoc, taskFromDoc, type ResultDoc, type TaskDoc } from './mongo-docs.js';
import { settleDependents } from './mongo-dependencies.js';
import { appendEvent } from './mongo-events.js';

/*
 * Task state changes. Each is one transaction: a conditional findOneAndUpdate (the filter is
 * the rule: "still queued", "this attempt", …) plus the event, so racing callers — in this
 * or another server process — see exactly one winner and the log matches the tasks.
 */

/** Fields describing a run; removed when a task goes back to the queue. */
const CLEAR_RUN = {
  assignee: '',
  leaseExpiresAt: '',
  assignedAt: '',
  startedAt: '',
  finishedAt: '',
} as const;

async function transition(
  m: MongoDatabase,
  session: ClientSession,
  filter: Filter<TaskDoc>,
  update: UpdateFilter<TaskDoc>,
  at: Date,
): Promise<TaskDoc | undefined> {
  const doc = await m.collections.tasks.findOneAndUpdate(filter, update, {
    session,
    returnDocument: 'after',
  });
  if (doc === null) return undefined;
  await appendEvent(m, session, doc, at);
  return doc;
}

const record = (doc: TaskDoc | undefined): TaskRecord | undefined => doc && taskFromDoc(doc);

export async function claimTask(
  m: MongoDatabase,
  key: string,
  claim: Claim,
): Promise<TaskRecord | undefined> {
  const doc = await m.transaction((session) =>
    transition(
      m,
      session,
      { _id: key, state: 'queued' },
      {
        $set: {
          state: 'assigned',
          assignee: claim.assignee,
          leaseExpiresAt: claim.leaseExpiresAt,
          assignedAt: claim.now,
          updatedAt: claim.now,
        },
        $inc: { attempt: 1 },
        $unset: { startedAt: '', reason: '' },
      },
      claim.now,
    ),
  );
  return record(doc);
}

export async function setQueuedReason(
  m: MongoDatabase,
  keys: readonly string[],
  reason: string | undefined,
): Promise<number> {
  if (keys.length === 0) return 0;
  const filter: Filter<TaskDoc> = { _id: { $in: [...keys] }, state: 'queued' };
  const result =
    reason === undefined
      ? await m.collections.tasks.updateMany(
          { ...filter, reason: { $exists: true } },
          { $unset: { reason: '' } },
        )
      : await m.collections.tasks.updateMany(
          { ...filter, reason: { $ne: reason } },
          { $set: { reason } },
        );
  return result.modifiedCount;
}

export async function releaseTask(
  m: MongoDatabase,
  key: string,
  attempt: number,
  now: Date,
): Promise<TaskRecord | undefined> {
  const doc = await m.transaction((session) =>
    transition(
      m,
      session,
      { _id: key, state: 'assigned', attempt },
      { $set: { state: 'queued', updatedAt: now }, $unset: CLEAR_RUN },
      now,
    ),
  );
  return record(doc);
}

export async function startTask(
  m: MongoDatabase,
  key: string,
  attempt: number,
  now: Date,
): Promise<TaskRecord | undefined> {
  const doc = await m.transaction(
    async (session) =>
      (await transition(
        m,
        session,
        { _id: key, state: 'assigned', attempt },
        { $set: { state: 'running', startedAt: now, updatedAt: now } },
        now,
      )) ??
      // A resent "started" (after a reconnect) is not an error and not a new event.
      (await m.collections.tasks.findOne({ _id: key, state: 'running', attempt }, { session })) ??
      undefined,
  );
  return record(doc);
}

export async function renewLeases(
  m: MongoDatabase,
  assignee: string,
  tasks: { key: string; attempt: number }[],
  leaseExpiresAt: Date,
): Promise<string[]> {
  // Each renewal is one conditional update; no event, so no transaction is needed.
  const renewed: string[] = [];
  for (const { key, attempt } of tasks) {
    const result = await m.collections.tasks.updateOne(
      { _id: key, attempt, assignee, state: { $in: [...LEASED_TASK_STATES] } },
      { $set: { leaseExpiresAt } },
    );
    if (result.matchedCount > 0) renewed.push(key);
  }
  return renewed;
}

export async function finishTask(
  m: MongoDatabase,
  key: string,
  attempt: number,
  result: ResultRecord,
  now: Date,
): Promise<FinishOutcome> {
  const blobs = assertResultFor(key, result);
  const text = specText(result.spec);
  return m.transaction(async (session): Promise<FinishOutcome> => {
    const taskDoc = await m.collections.tasks.findOne({ _id: key }, { session });
    if (taskDoc === null) return { outcome: 'not_found' };
    const task = taskFromDoc(taskDoc);
    const storedDoc = await m.collections.results.findOne({ _id: key }, { session });
    const stored = storedDoc === null ? undefined : resultFromDoc(storedDoc);
    const refusal = refuseFinish(task, stored, attempt, text);
    if (refusal !== undefined) return refusal;
    await claimBlobs(m, session, blobs, (blob) => unknownBlobError('result', blob));
    const resultDoc: ResultDoc = {
      _id: key,
      attempt,
      spec: text,
      poster: result.poster,
      createdAt: result.createdAt,
      fileHashes: distinctHashes(blobs),
    };
    // A concurrent result insert collides on _id and a concurrent state change on the task
    // document: either aborts this transaction, whose retry decides again.
    await m.collections.results.insertOne(resultDoc, { session });
    const finished = await transition(
      m,
      session,
      { _id: key, attempt, state: { $in: [...LEASED_TASK_STATES] } },
      {
        $set: { state: 'finished', finishedAt: now, updatedAt: now },
        $unset: { leaseExpiresAt: '' },
      },
      now,
    );
    if (finished === undefined) throw new Error('the task changed inside its own transaction');
    await settleDependents(m, session, key, now);
    return { outcome: 'stored', task: taskFromDoc(finished), result: resultFromDoc(resultDoc) };
  });
}

export async function failTask(
  m: MongoDatabase,
  key: string,
  reason: string,
  now: Date,
  attempt?: number,
): Promise<TaskRecord | undefined> {
  const doc = await m.transaction(async (session) => {
    const failed = await transition(
      m,
      session,
      {
        _id: key,
        state: { $in: [...ACTIVE_TASK_STATES] },
        ...(attempt === undefined ? {} : { attempt }),
      },
      {
        $set: { state: 'failed', reason, finishedAt: now, updatedAt: now },
        $unset: { leaseExpiresAt: '' },
      },
      now,
    );
    if (failed !== undefined) await settleDependents(m, session, key, now);
    return failed;
  });
  return record(doc);
}

export async function cancelTask(
  m: MongoDatabase,
  key: string,
  reason: string,
  now: Date,
): Promise<TaskRecord | undefined> {
  const before = await m.transaction(async (session) => {
    const doc = await m.collections.tasks.findOneAndUpdate(
      { _id: key, state: { $in: [...ACTIVE_TASK_STATES] } },
      {
        $set: { state: 'cancelled', reason, finishedAt: now, updatedAt: now },
        $unset: { leaseExpiresAt: '' },
      },
      { session, returnDocument: 'before' },
    );
    if (doc === null) return undefined;
    await appendEvent(m, session, { ...doc, state: 'cancelled', reason }, now);
    await settleDependents(m, session, key, now);
    return doc;
  });
  return record(before);
}

/** Back to the queue for a new run: attempt kept (the next claim increments it). */
const requeueUpdate = (now: Date): UpdateFilter<TaskDoc> => ({
  $set: { state: 'queued', lostCount: 0, updatedAt: now },
  $unset: { ...CLEAR_RUN, reason: '' },
});

export async function requeueTask(
  m: MongoDatabase,
  key: string,
  now: Date,
  fromStates?: readonly TaskState[],
): Promise<TaskRecord | undefined> {
  assertStates(fromStates);
  const state: Filter<TaskDoc>['state'] =
    fromStates === undefined
      ? { $ne: 'queued' }
      : { $in: fromStates.filter((from) => from !== 'queued') };
  const doc = await m.transaction(async (session) => {
    const requeued = await transition(m, session, { _id: key, state }, requeueUpdate(now), now);
    if (requeued !== undefined) await m.collections.results.deleteOne({ _id: key }, { session });
    return requeued;
  });
  return record(doc);
}

export async function deleteResult(m: MongoDatabase, taskKey: string, now: Date): Promise<boolean> {
  return m.transaction(async (session) => {
    const deleted = await m.collections.results.deleteOne({ _id: taskKey }, { session });
    if (deleted.deletedCount === 0) return false;
    await transition(m, session, { _id: taskKey }, requeueUpdate(now), now);
    return true;
  });
}

export async function expireLeases(
  m: MongoDatabase,
  now: Date,
  reasonFor: (task: TaskRecord) => string,
): Promise<ExpiredLease[]> {
  const expired = await m.collections.tasks
    .find({ state: { $in: [...LEASED_TASK_STATES] }, leaseExpiresAt: { $lt: now } })
    .sort({ leaseExpiresAt: 1, _id: 1 })
    .toArray();
  const out: ExpiredLease[] = [];
  for (const found of expired) {
    const task = taskFromDoc(found);
    const isLast = found.lostCount + 1 >= found.maxAttempts;
    const reason = isLast ? reasonFor(task) : undefined;
    // The filter pins what the decision was made on; another server expiring (or the foreman
    // renewing) the same lease first makes it match nothing.
    const filter: Filter<TaskDoc> = {
      _id: found._id,
      attempt: found.attempt,
      lostCount: found.lostCount,
      state: { $in: [...LEASED_TASK_STATES] },
      leaseExpiresAt: { $lt: now },
    };
    const update: UpdateFilter<TaskDoc> =
      reason !== undefined
        ? {
            $set: { state: 'failed', reason, finishedAt: now, updatedAt: now },
            $inc: { lostCount: 1 },
            $unset: { leaseExpiresAt: '' },
          }
        : {
            $set: { state: 'queued', updatedAt: now },
            $inc: { lostCount: 1 },
            $unset: CLEAR_RUN,
          };
    const doc = await m.transaction(async (session) => {
      const changed = await transition(m, session, filter, update, now);
      if (changed?.state === 'failed') await settleDependents(m, session, changed._id, now);
      return changed;
    });
    if (doc !== undefined)
      out.push({
        task: taskFromDoc(doc),
        outcome: reason !== undefined ? 'failed' : 'requeued',
        ...(found.assignee === undefined || found.assignee === null
          ? {}
          : { previousAssignee: found.assignee }),
      });
  }
  return out;
}
