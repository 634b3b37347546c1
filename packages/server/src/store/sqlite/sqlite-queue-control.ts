import { assertQueuePolicy, newQueueOrder, pauseScope } from '../queue-control-rules.js';
import { assertStates } from '../store-rules.js';
import type {
  MoveOutcome,
  QueuePauseRecord,
  TaskPlacement,
  TaskRecord,
  TaskState,
  UserQueuePolicyChanges,
} from '../store.js';
import type { SqliteDb } from './sqlite-db.js';
import { appendEvent } from './sqlite-events.js';
import { taskFromRow, type TaskRow } from './sqlite-rows.js';

/* Queue control (issue 12): pauses, priority changes, per-user weight and limits. */

interface QueuePauseRow {
  scope: string;
  paused_by: string;
  paused_at: number;
}

export function pauseQueue(db: SqliteDb, pause: QueuePauseRecord): boolean {
  const scope = pauseScope(pause.tag);
  return (
    db.write(() =>
      db.run(
        `INSERT INTO queue_pauses (scope, paused_by, paused_at) VALUES (@scope, @by, @at)
         ON CONFLICT (scope) DO NOTHING`,
        { scope, by: pause.pausedBy, at: pause.pausedAt.getTime() },
      ),
    ).changes > 0
  );
}

export function resumeQueue(db: SqliteDb, tag?: string): boolean {
  const scope = pauseScope(tag);
  return (
    db.write(() => db.run('DELETE FROM queue_pauses WHERE scope = @scope', { scope })).changes > 0
  );
}

export function listQueuePauses(db: SqliteDb): QueuePauseRecord[] {
  return db.all<QueuePauseRow>('SELECT * FROM queue_pauses ORDER BY scope').map((row) => ({
    ...(row.scope === '' ? {} : { tag: row.scope }),
    pausedBy: row.paused_by,
    pausedAt: new Date(row.paused_at),
  }));
}

export function setTaskPriority(
  db: SqliteDb,
  key: string,
  priority: number,
  now: Date,
): TaskRecord | undefined {
  return db.write(() => {
    const row = db.get<TaskRow>(
      `UPDATE tasks SET priority = @priority, updated_at = @now
       WHERE key = @key AND state IN ('waiting', 'queued') RETURNING *`,
      { key, priority, now: now.getTime() },
    );
    if (row === undefined) return undefined;
    appendEvent(db, row, row.updated_at);
    return taskFromRow(row);
  });
}

export function setUserQueuePolicy(
  db: SqliteDb,
  username: string,
  changes: UserQueuePolicyChanges,
): boolean {
  assertQueuePolicy(changes);
  // Only the columns given change; null clears one.
  const sets: string[] = [];
  const values: Record<string, number | null> = {};
  for (const [field, column] of [
    ['weight', 'weight'],
    ['maxRunning', 'max_running'],
    ['maxQueued', 'max_queued'],
  ] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    sets.push(`${column} = @${field}`);
    values[field] = value;
  }
  return db.write(() =>
    sets.length === 0
      ? db.get('SELECT 1 FROM users WHERE username = @username', { username }) !== undefined
      : db.run(`UPDATE users SET ${sets.join(', ')} WHERE username = @username`, {
          username,
          ...values,
        }).changes > 0,
  );
}

export function countTasksOf(db: SqliteDb, owner: string, states: TaskState[]): number {
  assertStates(states);
  return (
    db.get<{ n: number }>(
      `SELECT count(*) AS n FROM tasks INDEXED BY tasks_by_owner_state
       WHERE owner = @owner AND state IN (SELECT value FROM json_each(@states))`,
      { owner, states: JSON.stringify(states) },
    )?.n ?? 0
  );
}

const ORDER = 'coalesce(queue_order, created_at)';

export function moveTask(
  db: SqliteDb,
  key: string,
  placement: TaskPlacement,
  now: Date,
): MoveOutcome {
  // One transaction: the neighbours read and the one task written cannot interleave with
  // another move (IMMEDIATE transactions serialise writers).
  return db.write((): MoveOutcome => {
    const row = db.get<TaskRow>('SELECT * FROM tasks WHERE key = @key', { key });
    if (row === undefined) return { outcome: 'not_found' };
    if (row.state !== 'waiting' && row.state !== 'queued')
      return { outcome: 'wrong_state', key, state: row.state };
    const same = `priority = @priority AND state IN ('waiting', 'queued') AND key != @key`;
    let order: number | undefined;
    if ('to' in placement) {
      const bound = db.get<{ min: number | null; max: number | null }>(
        `SELECT min(${ORDER}) AS min, max(${ORDER}) AS max FROM tasks WHERE ${same}`,
        { priority: row.priority, key },
      );
      // Alone at its priority: it is at the front and the back already.
      if (bound?.min == null || bound.max == null)
        return { outcome: 'moved', task: taskFromRow(row) };
      order = newQueueOrder(placement, { min: bound.min, max: bound.max });
    } else {
      const target = db.get<TaskRow>('SELECT * FROM tasks WHERE key = @before', {
        before: placement.before,
      });
      if (target === undefined) return { outcome: 'before_not_found' };
      if (target.state !== 'waiting' && target.state !== 'queued')
        return { outcome: 'wrong_state', key: target.key, state: target.state };
      if (target.priority !== row.priority)
        return { outcome: 'other_priority', priority: target.priority };
      if (target.key === key) return { outcome: 'moved', task: taskFromRow(row) };
      const targetOrder = target.queue_order ?? target.created_at;
      const ahead = db.get<{ max: number | null }>(
        `SELECT max(${ORDER}) AS max FROM tasks WHERE ${same} AND ${ORDER} < @target`,
        { priority: row.priority, key, target: targetOrder },
      )?.max;
      order = newQueueOrder(placement, {
        target: targetOrder,
        ...(ahead == null ? {} : { ahead }),
      });
    }
    if (order === undefined) return { outcome: 'no_room' };
    const moved = db.get<TaskRow>(
      'UPDATE tasks SET queue_order = @order, updated_at = @now WHERE key = @key RETURNING *',
      { key, order, now: now.getTime() },
    );
    if (moved === undefined) return { outcome: 'not_found' };
    appendEvent(db, moved, moved.updated_at);
    return { outcome: 'moved', task: taskFromRow(moved) };
  });
}
