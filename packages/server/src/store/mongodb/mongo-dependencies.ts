import type { ClientSession } from 'mongodb';
import { KolejkaError } from '@kolejka/spec';
import type { TaskLinks } from '../dependency-records.js';
import {
  assertNewTaskLinks,
  dependencyVerdict,
  resultExitCode,
  specWithInputs,
} from '../dependency-rules.js';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../store.js';
import { claimBlobs } from './mongo-blobs.js';
import type { MongoDatabase } from './mongo-db.js';
import type { TaskEdgeDoc } from './mongo-dependency-docs.js';
import { appendEvent } from './mongo-events.js';

/*
 * Task dependencies, as in sqlite-dependencies.ts: dependents are decided inside the
 * transaction that ends their dependency (exactly once across server processes, no sweep),
 * reading the edges by dependency (O(dependents)).
 */

/** Records a new task's links in the caller's transaction (after its insert and event). */
export async function insertTaskLinks(
  m: MongoDatabase,
  session: ClientSession,
  task: TaskRecord,
  at: Date,
): Promise<void> {
  const links = task.links;
  if (links === undefined) return;
  assertNewTaskLinks(task.key, links);
  if (task.state !== 'waiting')
    throw new KolejkaError('KOLEJKA_VALIDATION', 'A task with dependencies starts waiting');
  await m.collections.taskLinks.insertOne(
    {
      _id: task.key,
      after: links.after,
      ...(links.inputs === undefined ? {} : { inputs: links.inputs }),
      unsatisfied: links.dependencies.length,
    },
    { session },
  );
  const found = await m.collections.tasks
    .find({ _id: { $in: links.dependencies } }, { session, projection: { _id: 1, state: 1 } })
    .toArray();
  const states = new Map(found.map((doc) => [doc._id, doc.state]));
  const edges: TaskEdgeDoc[] = [];
  const ended: string[] = [];
  links.dependencies.forEach((dependency, position) => {
    const state = states.get(dependency);
    if (state === undefined)
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `The dependency ${dependency} of task ${task.key} does not exist`,
        { details: { taskKey: dependency } },
      );
    edges.push({
      _id: `${dependency}:${task.key}`,
      dependency,
      dependent: task.key,
      position,
      after: links.after,
    });
    if (TERMINAL_TASK_STATES.includes(state)) ended.push(dependency);
  });
  if (edges.length > 0) await m.collections.taskEdges.insertMany(edges, { session });
  if (links.dependencies.length === 0) await release(m, session, task.key, at, []);
  for (const dependency of ended) await settleDependents(m, session, dependency, at, task.key);
}

/** Decides the dependents of a task that just ended, propagating cancellations, in the caller's transaction. */
export async function settleDependents(
  m: MongoDatabase,
  session: ClientSession,
  endedKey: string,
  at: Date,
  only?: string,
): Promise<void> {
  const pending = [endedKey];
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    const ended = await m.collections.tasks.findOne({ _id: key }, { session });
    if (ended === null) continue;
    const result = await m.collections.results.findOne({ _id: key }, { session });
    const exitCode = resultExitCode(result?.spec);
    const edges = await m.collections.taskEdges
      .find(
        {
          dependency: key,
          outcome: { $exists: false },
          ...(key === endedKey && only !== undefined ? { dependent: only } : {}),
        },
        { session },
      )
      .toArray();
    for (const edge of edges) {
      const verdict = dependencyVerdict(edge.after, {
        key,
        state: ended.state,
        ...(exitCode === undefined ? {} : { exitCode }),
        ...(typeof ended.reason === 'string' ? { reason: ended.reason } : {}),
      });
      await m.collections.taskEdges.updateOne(
        { _id: edge._id },
        { $set: { outcome: verdict.isSatisfied ? 'satisfied' : 'unsatisfied' } },
        { session },
      );
      if (!verdict.isSatisfied) {
        if (await cancelWaiting(m, session, edge.dependent, verdict.reason, at))
          pending.push(edge.dependent);
        continue;
      }
      const links = await m.collections.taskLinks.findOneAndUpdate(
        { _id: edge.dependent },
        { $inc: { unsatisfied: -1 } },
        { session, returnDocument: 'after' },
      );
      if (links?.unsatisfied === 0) await release(m, session, edge.dependent, at, pending);
    }
  }
}

async function cancelWaiting(
  m: MongoDatabase,
  session: ClientSession,
  key: string,
  reason: string,
  at: Date,
): Promise<boolean> {
  const doc = await m.collections.tasks.findOneAndUpdate(
    { _id: key, state: 'waiting' },
    { $set: { state: 'cancelled', reason, finishedAt: at, updatedAt: at } },
    { session, returnDocument: 'after' },
  );
  if (doc === null) return false;
  await appendEvent(m, session, doc, at);
  return true;
}

async function release(
  m: MongoDatabase,
  session: ClientSession,
  key: string,
  at: Date,
  pending: string[],
): Promise<void> {
  const task = await m.collections.tasks.findOne({ _id: key, state: 'waiting' }, { session });
  if (task === null) return;
  const links = await m.collections.taskLinks.findOne({ _id: key }, { session });
  const inputs = links?.inputs ?? {};
  const resultSpecs = new Map<string, string>();
  for (const from of new Set(Object.values(inputs).map((input) => input.from))) {
    const result = await m.collections.results.findOne({ _id: from }, { session });
    if (result !== null) resultSpecs.set(from, result.spec);
  }
  const resolved = specWithInputs(task.spec, inputs, (from) => resultSpecs.get(from));
  if ('reason' in resolved) {
    if (await cancelWaiting(m, session, key, resolved.reason, at)) pending.push(key);
    return;
  }
  const newHashes = resolved.hashes.filter((hash) => !task.fileHashes.includes(hash));
  await claimBlobs(
    m,
    session,
    newHashes.map((hash) => ({ name: hash, hash })),
    (blob) => new KolejkaError('KOLEJKA_NOT_FOUND', `The input blob ${blob.hash} is not stored`),
  );
  const doc = await m.collections.tasks.findOneAndUpdate(
    { _id: key, state: 'waiting' },
    {
      $set: { state: 'queued', spec: resolved.spec, updatedAt: at },
      $addToSet: { fileHashes: { $each: newHashes } },
    },
    { session, returnDocument: 'after' },
  );
  if (doc !== null) await appendEvent(m, session, doc, at);
}

export async function getTaskLinks(
  m: MongoDatabase,
  key: string,
  dependentLimit: number,
): Promise<TaskLinks | undefined> {
  if ((await m.collections.tasks.findOne({ _id: key }, { projection: { _id: 1 } })) === null)
    return undefined;
  const links = await m.collections.taskLinks.findOne({ _id: key });
  const dependencies = await m.collections.taskEdges
    .find({ dependent: key })
    .sort({ position: 1 })
    .toArray();
  const dependents = await m.collections.taskEdges
    .find({ dependency: key })
    .sort({ dependent: 1 })
    .limit(dependentLimit)
    .toArray();
  return {
    ...(links === null ? {} : { after: links.after }),
    ...(links?.inputs === undefined ? {} : { inputs: links.inputs }),
    dependencies: dependencies.map((edge) => ({
      key: edge.dependency,
      ...(edge.outcome === undefined ? {} : { outcome: edge.outcome }),
    })),
    unsatisfied: links?.unsatisfied ?? 0,
    dependents: dependents.map((edge) => ({
      key: edge.dependent,
      after: edge.after,
      ...(edge.outcome === undefined ? {} : { outcome: edge.outcome }),
    })),
    dependentCount: await m.collections.taskEdges.countDocuments({ dependency: key }),
  };
}

/** Removes a deleted task's own links and the edges to its dependencies (its dependents keep theirs). */
export async function deleteTaskLinks(
  m: MongoDatabase,
  session: ClientSession,
  key: string,
): Promise<void> {
  await m.collections.taskLinks.deleteOne({ _id: key }, { session });
  await m.collections.taskEdges.deleteMany({ dependent: key }, { session });
}
