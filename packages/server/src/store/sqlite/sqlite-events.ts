import { assertLimit } from '../store-rules.js';
import { TASK_HISTORY_LIMIT, type TaskEvent } from '../store.js';
import type { SqliteDb } from './sqlite-db.js';
import { eventFromRow, type EventRow, type TaskRow } from './sqlite-rows.js';

/**
 * Appends the event of a task's new state; called inside the write transaction that
 * changed the task, so the log and the tasks never disagree. One writer at a time (IMMEDIATE
 * transactions) means seq order is commit order: a follower reading `seq > n` misses nothing.
 */
export function appendEvent(db: SqliteDb, task: TaskRow, at: number, isDeleted = false): void {
  db.run(
    `INSERT INTO events (task_key, owner, state, attempt, assignee, is_deleted, reason, at)
     VALUES (@key, @owner, @state, @attempt, @assignee, @isDeleted, @reason, @at)`,
    {
      key: task.key,
      owner: task.owner,
      state: task.state,
      attempt: task.attempt,
      assignee: task.assignee,
      isDeleted: isDeleted ? 1 : 0,
      reason: task.reason,
      at,
    },
  );
}

export function readEvents(db: SqliteDb, afterSeq: number, limit: number): TaskEvent[] {
  assertLimit(limit);
  return db
    .all<EventRow>('SELECT * FROM events WHERE seq > @afterSeq ORDER BY seq LIMIT @limit', {
      afterSeq,
      limit,
    })
    .map(eventFromRow);
}

/** Newest first through events_by_task (migration 8), turned oldest first. */
export function taskHistory(db: SqliteDb, key: string): TaskEvent[] {
  return db
    .all<EventRow>('SELECT * FROM events WHERE task_key = @key ORDER BY seq DESC LIMIT @limit', {
      key,
      limit: TASK_HISTORY_LIMIT,
    })
    .reverse()
    .map(eventFromRow);
}

/** The highest seq ever issued (kept by AUTOINCREMENT, so pruning never lowers it). */
export function lastEventSeq(db: SqliteDb): number {
  return (
    db.get<{ seq: number }>(
      "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS seq",
    )?.seq ?? 0
  );
}

export function deleteEventsBefore(db: SqliteDb, before: Date): number {
  return db.write(() =>
    db.run('DELETE FROM events WHERE at < @before', { before: before.getTime() }),
  ).changes;
}
