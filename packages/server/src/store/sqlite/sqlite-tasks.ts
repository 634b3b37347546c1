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
import { isConstraintError, type SqliteDb, type SqliteParams } from './sqlite-db.js';
import { insertTaskLinks } from './sqlite-dependencies.js';
import { appendEvent } from './sqlite-events.js';
import { ms, resultFromRow, taskFromRow, type ResultRow, type TaskRow } from './sqlite-rows.js';

/* Creating, reading, listing and deleting tasks; state changes are in sqlite-transitions. */

export function createTask(db: SqliteDb, task: TaskRecord): void {
  const blobs = assertNewTask(task);
  db.write(() => {
    for (const blob of blobs)
      if (db.get('SELECT 1 FROM blobs WHERE hash = @hash', { hash: blob.hash }) === undefined)
        throw unknownBlobError('task', blob);
    let row: TaskRow | undefined;
    try {
      row = db.get<TaskRow>(
        `INSERT INTO tasks (key, owner, spec, state, priority, attempt, lost_count, max_attempts,
           assignee, lease_expires_at, reason, created_at, updated_at, assigned_at, started_at,
           finished_at, schedule_id)
         VALUES (@key, @owner, @spec, @state, @priority, @attempt, @lostCount, @maxAttempts,
           @assignee, @leaseExpiresAt, @reason, @createdAt, @updatedAt, @assignedAt, @startedAt,
           @finishedAt, @schedule)
         RETURNING *`,
        {
          key: task.key,
          owner: task.owner,
          spec: specText(task.spec),
          state: task.state,
          priority: task.priority,
          attempt: task.attempt,
          lostCount: task.lostCount,
          maxAttempts: task.maxAttempts,
          assignee: task.assignee ?? null,
          leaseExpiresAt: ms(task.leaseExpiresAt),
          reason: task.reason ?? null,
          createdAt: ms(task.createdAt),
          updatedAt: ms(task.updatedAt),
          assignedAt: ms(task.assignedAt),
          startedAt: ms(task.startedAt),
          finishedAt: ms(task.finishedAt),
          schedule: task.schedule ?? null,
        },
      );
    } catch (error) {
      if (isConstraintError(error, 'PRIMARYKEY'))
        throw new KolejkaError('KOLEJKA_CONFLICT', `Task ${task.key} exists`, { cause: error });
      throw error;
    }
    if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
    for (const hash of distinctHashes(blobs))
      db.run('INSERT INTO task_blobs (task_key, hash) VALUES (@key, @hash)', {
        key: task.key,
        hash,
      });
    for (const tag of new Set(task.spec.requires ?? []))
      db.run('INSERT INTO task_tags (tag, created_at, task_key) VALUES (@tag, @createdAt, @key)', {
        tag,
        createdAt: row.created_at,
        key: task.key,
      });
    appendEvent(db, row, row.updated_at);
    insertTaskLinks(db, task, row.updated_at);
  });
}

export function getTask(db: SqliteDb, key: string): TaskRecord | undefined {
  const row = db.get<TaskRow>('SELECT * FROM tasks WHERE key = @key', { key });
  return row && taskFromRow(row);
}

export function listTasks(
  db: SqliteDb,
  filter: TaskFilter,
  limit: number,
  cursor?: string,
): Page<TaskRecord> {
  assertLimit(limit);
  const { keyContains, sort } = assertTaskFilter(filter);
  const after = cursor === undefined ? undefined : decodeTaskCursor(cursor, sort);
  const isOldest = sort === 'oldest';
  // Only the conditions in use are in the text, so SQLite picks the index for them (and the
  // statement cache keeps one plan per combination).
  const where: string[] = [];
  const params: SqliteParams = { limit: limit + 1 };
  if (filter.owner !== undefined) {
    where.push('t.owner = @owner');
    params.owner = filter.owner;
  }
  if (filter.assignee !== undefined) {
    where.push('t.assignee = @assignee');
    params.assignee = filter.assignee;
  }
  if (filter.createdAfter !== undefined) {
    where.push('t.created_at > @createdAfter');
    params.createdAfter = ms(filter.createdAfter);
  }
  if (filter.createdBefore !== undefined) {
    where.push('t.created_at < @createdBefore');
    params.createdBefore = ms(filter.createdBefore);
  }
  if (filter.image !== undefined) {
    // The very expression of the tasks_by_image index.
    where.push(`json_extract(t.spec, '$.image') = @image`);
    params.image = filter.image;
  }
  if (keyContains !== undefined) {
    where.push('instr(t.key, @keyContains) > 0');
    params.keyContains = keyContains;
  }
  // With a tag, the page is read in order from task_tags (tag, created_at, key), the tasks
  // joined to it (CROSS JOIN keeps that order of the loops): a rare tag costs its own rows.
  const isTagged = filter.tag !== undefined;
  if (filter.tag !== undefined) {
    where.push('g.tag = @tag');
    params.tag = filter.tag;
  }
  const [at, key] = isTagged ? ['g.created_at', 'g.task_key'] : ['t.created_at', 't.key'];
  if (after !== undefined) {
    const [before, beyond] = isOldest ? ['>', '>'] : ['<', '<'];
    where.push(
      `(${at} ${before} @cursorAt OR (${at} = @cursorAt AND ${key} ${beyond} @cursorKey))`,
    );
    params.cursorAt = after.createdAtMs;
    params.cursorKey = after.key;
  }
  const from = isTagged ? 'task_tags g CROSS JOIN tasks t ON t.key = g.task_key' : 'tasks t';
  const order = isOldest ? `${at}, ${key}` : `${at} DESC, ${key} DESC`;
  const page = (conditions: string[], values: SqliteParams): TaskRow[] =>
    db.all<TaskRow>(
      `SELECT t.* FROM ${from} ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY ${order} LIMIT @limit`,
      values,
    );
  let rows: TaskRow[];
  if (filter.states === undefined) rows = page(where, params);
  else {
    // One query per state, each `state = …` read in order from (state, created_at, key) —
    // so a rare state among many tasks costs its page, not the table — then merged: the
    // first `limit + 1` of the union are among the first `limit + 1` of each.
    rows = [...new Set(filter.states)]
      .flatMap((state) => page([...where, 't.state = @state'], { ...params, state }))
      .sort((a, b) => compareRows(a, b) * (isOldest ? 1 : -1))
      .slice(0, limit + 1);
  }
  const items = rows.slice(0, limit).map(taskFromRow);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined
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

/** Oldest first: created_at, then key. */
function compareRows(a: TaskRow, b: TaskRow): number {
  return a.created_at - b.created_at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

// INDEXED BY: without statistics the planner prefers tasks_by_state and sorts every queued
// task; the partial run-order index reads just the first `limit`.
export function listQueuedTasks(
  db: SqliteDb,
  limit: number,
  after?: { priority: number; createdAt: Date; key: string },
): TaskRecord[] {
  assertLimit(limit);
  const rows =
    after === undefined
      ? db.all<TaskRow>(
          `SELECT * FROM tasks INDEXED BY tasks_queue WHERE state = 'queued'
           ORDER BY priority DESC, created_at, key LIMIT @limit`,
          { limit },
        )
      : db.all<TaskRow>(
          `SELECT * FROM tasks INDEXED BY tasks_queue WHERE state = 'queued'
             AND (priority < @priority OR (priority = @priority
               AND (created_at > @createdAt OR (created_at = @createdAt AND key > @key))))
           ORDER BY priority DESC, created_at, key LIMIT @limit`,
          { limit, priority: after.priority, createdAt: ms(after.createdAt), key: after.key },
        );
  return rows.map(taskFromRow);
}

export function countTasksByState(db: SqliteDb): Record<TaskState, number> {
  const counts = emptyStateCounts();
  for (const row of db.all<{ state: TaskState; n: number }>(
    'SELECT state, count(*) AS n FROM tasks GROUP BY state',
  ))
    counts[row.state] = row.n;
  return counts;
}

export function taskActivity(db: SqliteDb, since: Date, owner?: string): TaskActivity {
  const params: SqliteParams = {
    since: since.getTime(),
    ...(owner === undefined ? {} : { owner }),
  };
  const ofOwner = owner === undefined ? '' : 'AND owner = @owner';
  // INDEXED BY: an owner's tasks would otherwise be read through its (owner, …) indexes, all
  // of them, rather than the last hour's through the time index.
  const waits = db.all<{ wait: number }>(
    `SELECT assigned_at - created_at AS wait FROM tasks INDEXED BY tasks_by_assigned
     WHERE assigned_at >= @since ${ofOwner} ORDER BY wait`,
    params,
  );
  const ended = db.all<TaskActivity['ended'][number]>(
    `SELECT (finished_at - CAST(@since AS INTEGER)) / ${MINUTE_MS} AS minute, state, count(*) AS count
     FROM tasks INDEXED BY tasks_by_finished
     WHERE finished_at >= @since AND state IN ('finished', 'failed', 'cancelled') ${ofOwner}
     GROUP BY minute, state`,
    params,
  );
  return { waitsMs: waits.map((row) => row.wait), ended };
}

export function deleteTask(db: SqliteDb, key: string, now: Date): boolean {
  return db.write(() => {
    // task_blobs, the result and result_blobs go with it (ON DELETE CASCADE).
    const row = db.get<TaskRow>('DELETE FROM tasks WHERE key = @key RETURNING *', { key });
    if (row === undefined) return false;
    appendEvent(db, row, now.getTime(), true);
    return true;
  });
}

export function getResult(db: SqliteDb, taskKey: string): ResultRecord | undefined {
  const row = db.get<ResultRow>('SELECT * FROM results WHERE task_key = @taskKey', { taskKey });
  return row && resultFromRow(row);
}
