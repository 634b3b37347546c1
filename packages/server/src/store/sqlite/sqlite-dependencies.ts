import { KolejkaError } from '@kolejka/spec';
import type { AfterPolicy, TaskInput, TaskLinks } from '../dependency-records.js';
import {
  assertNewTaskLinks,
  dependencyVerdict,
  resultExitCode,
  specWithInputs,
} from '../dependency-rules.js';
import { TERMINAL_TASK_STATES, type TaskRecord, type TaskState } from '../store.js';
import type { SqliteDb } from './sqlite-db.js';
import { appendEvent } from './sqlite-events.js';
import type { TaskRow } from './sqlite-rows.js';

/*
 * Task dependencies. Dependents are released INSIDE the transaction that ends their
 * dependency (finish, fail, cancel, lease expiry to failed), not by a sweep: the
 * transaction makes it exactly once with several server processes and safe across kill -9,
 * and the edge index by dependency makes it cost O(dependents).
 */

interface EdgeRow {
  dependent: string;
  after: AfterPolicy;
}

/** Records a new task's links (its row and event are written) and decides it at once when its dependencies already ended. */
export function insertTaskLinks(db: SqliteDb, task: TaskRecord, at: number): void {
  const links = task.links;
  if (links === undefined) return;
  assertNewTaskLinks(task.key, links);
  if (task.state !== 'waiting')
    throw new KolejkaError('KOLEJKA_VALIDATION', 'A task with dependencies starts waiting');
  db.run(
    `INSERT INTO task_links (task_key, after, inputs, unsatisfied)
     VALUES (@key, @after, @inputs, @unsatisfied)`,
    {
      key: task.key,
      after: links.after,
      inputs: links.inputs === undefined ? null : JSON.stringify(links.inputs),
      unsatisfied: links.dependencies.length,
    },
  );
  const ended: string[] = [];
  links.dependencies.forEach((dependency, position) => {
    const row = db.get<{ state: TaskState }>('SELECT state FROM tasks WHERE key = @dependency', {
      dependency,
    });
    if (row === undefined)
      throw new KolejkaError(
        'KOLEJKA_NOT_FOUND',
        `The dependency ${dependency} of task ${task.key} does not exist`,
        { details: { taskKey: dependency } },
      );
    db.run(
      `INSERT INTO task_edges (dependency, dependent, position) VALUES (@dependency, @key, @position)`,
      { dependency, key: task.key, position },
    );
    if (TERMINAL_TASK_STATES.includes(row.state)) ended.push(dependency);
  });
  if (links.dependencies.length === 0) release(db, task.key, at, []);
  for (const dependency of ended) settleDependents(db, dependency, at, task.key);
}

/**
 * Decides the dependents of a task that just ended (in the caller's transaction), and
 * propagates cancellations down the graph, iteratively. With `only`, just that dependent.
 */
export function settleDependents(db: SqliteDb, endedKey: string, at: number, only?: string): void {
  const pending = [endedKey];
  for (let key = pending.pop(); key !== undefined; key = pending.pop()) {
    const ended = db.get<TaskRow & { result_spec: string | null }>(
      `SELECT tasks.*, results.spec AS result_spec FROM tasks
       LEFT JOIN results ON results.task_key = tasks.key WHERE tasks.key = @key`,
      { key },
    );
    if (ended === undefined) continue;
    const exitCode = resultExitCode(ended.result_spec ?? undefined);
    const edges = db.all<EdgeRow>(
      `SELECT e.dependent, l.after FROM task_edges e JOIN task_links l ON l.task_key = e.dependent
       WHERE e.dependency = @key AND e.outcome IS NULL
         ${key === endedKey && only !== undefined ? 'AND e.dependent = @only' : ''}`,
      { key, ...(key === endedKey && only !== undefined ? { only } : {}) },
    );
    for (const edge of edges) {
      const verdict = dependencyVerdict(edge.after, {
        key,
        state: ended.state,
        ...(exitCode === undefined ? {} : { exitCode }),
        ...(ended.reason === null ? {} : { reason: ended.reason }),
      });
      db.run(
        `UPDATE task_edges SET outcome = @outcome WHERE dependency = @key AND dependent = @dependent`,
        {
          key,
          dependent: edge.dependent,
          outcome: verdict.isSatisfied ? 'satisfied' : 'unsatisfied',
        },
      );
      if (!verdict.isSatisfied) {
        if (cancelWaiting(db, edge.dependent, verdict.reason, at)) pending.push(edge.dependent);
        continue;
      }
      const left = db.get<{ unsatisfied: number }>(
        `UPDATE task_links SET unsatisfied = unsatisfied - 1 WHERE task_key = @dependent
         RETURNING unsatisfied`,
        { dependent: edge.dependent },
      );
      if (left?.unsatisfied === 0) release(db, edge.dependent, at, pending);
    }
  }
}

/** `waiting` → `cancelled`; whether it changed (a task an admin requeued meanwhile is left alone). */
function cancelWaiting(db: SqliteDb, key: string, reason: string, at: number): boolean {
  const row = db.get<TaskRow>(
    `UPDATE tasks SET state = 'cancelled', reason = @reason, finished_at = @at, updated_at = @at
     WHERE key = @key AND state = 'waiting' RETURNING *`,
    { key, reason, at },
  );
  if (row !== undefined) appendEvent(db, row, at);
  return row !== undefined;
}

/** `waiting` → `queued` with its inputs as task files, or → `cancelled` when one is missing. */
function release(db: SqliteDb, key: string, at: number, pending: string[]): void {
  const task = db.get<TaskRow & { inputs: string | null }>(
    `SELECT tasks.*, task_links.inputs FROM tasks JOIN task_links ON task_links.task_key = tasks.key
     WHERE tasks.key = @key AND tasks.state = 'waiting'`,
    { key },
  );
  if (task === undefined) return;
  const inputs = task.inputs === null ? {} : (JSON.parse(task.inputs) as Record<string, TaskInput>);
  const resolved = specWithInputs(
    task.spec,
    inputs,
    (from) =>
      db.get<{ spec: string }>('SELECT spec FROM results WHERE task_key = @from', { from })?.spec,
  );
  if ('reason' in resolved) {
    if (cancelWaiting(db, key, resolved.reason, at)) pending.push(key);
    return;
  }
  for (const hash of resolved.hashes)
    db.run('INSERT OR IGNORE INTO task_blobs (task_key, hash) VALUES (@key, @hash)', { key, hash });
  const row = db.get<TaskRow>(
    `UPDATE tasks SET state = 'queued', spec = @spec, updated_at = @at
     WHERE key = @key AND state = 'waiting' RETURNING *`,
    { key, spec: resolved.spec, at },
  );
  if (row !== undefined) appendEvent(db, row, at);
}

export function getTaskLinks(
  db: SqliteDb,
  key: string,
  dependentLimit: number,
): TaskLinks | undefined {
  if (db.get('SELECT 1 FROM tasks WHERE key = @key', { key }) === undefined) return undefined;
  const links = db.get<{ after: AfterPolicy; inputs: string | null; unsatisfied: number }>(
    'SELECT after, inputs, unsatisfied FROM task_links WHERE task_key = @key',
    { key },
  );
  const dependencies = db
    .all<{ dependency: string; outcome: 'satisfied' | 'unsatisfied' | null }>(
      `SELECT dependency, outcome FROM task_edges INDEXED BY task_edges_by_dependent
       WHERE dependent = @key ORDER BY position`,
      { key },
    )
    .map((row) => ({
      key: row.dependency,
      ...(row.outcome === null ? {} : { outcome: row.outcome }),
    }));
  const dependents = db
    .all<{ dependent: string; after: AfterPolicy; outcome: 'satisfied' | 'unsatisfied' | null }>(
      `SELECT e.dependent, l.after, e.outcome FROM task_edges e
       JOIN task_links l ON l.task_key = e.dependent
       WHERE e.dependency = @key ORDER BY e.dependent LIMIT @limit`,
      { key, limit: dependentLimit },
    )
    .map((row) => ({
      key: row.dependent,
      after: row.after,
      ...(row.outcome === null ? {} : { outcome: row.outcome }),
    }));
  const count =
    db.get<{ n: number }>('SELECT count(*) AS n FROM task_edges WHERE dependency = @key', { key })
      ?.n ?? 0;
  return {
    ...(links === undefined ? {} : { after: links.after }),
    ...(links?.inputs == null
      ? {}
      : { inputs: JSON.parse(links.inputs) as Record<string, TaskInput> }),
    dependencies,
    unsatisfied: links?.unsatisfied ?? 0,
    dependents,
    dependentCount: count,
  };
}
