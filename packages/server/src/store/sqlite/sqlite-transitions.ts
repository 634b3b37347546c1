import {
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
import type { SqliteDb, SqliteParams } from './sqlite-db.js';
import { settleDependents } from './sqlite-dependencies.js';
import { appendEvent } from './sqlite-events.js';
import { ms, resultFromRow, taskFromRow, type ResultRow, type TaskRow } from './sqlite-rows.js';

/*
 * Task state changes. Each is one IMMEDIATE transaction: a conditional UPDATE … RETURNING
 * (the condition is the rule: "still queued", "this attempt", …) plus the event, so two
 * racing callers see exactly one winner and the log matches the table.
 */

const ACTIVE = "('waiting', 'queued', 'assigned', 'running')";
const LEASED = "('assigned', 'running')";
/** Columns that describe a run; cleared when a task goes back to the queue. */
const CLEAR_RUN =
  'assignee = NULL, lease_expires_at = NULL, assigned_at = NULL, started_at = NULL, finished_at = NULL';

function transition(
  db: SqliteDb,
  sql: string,
  params: SqliteParams,
  at: number,
): TaskRow | undefined {
  const row = db.get<TaskRow>(sql, params);
  if (row !== undefined) appendEvent(db, row, at);
  return row;
}

export function claimTask(db: SqliteDb, key: string, claim: Claim): TaskRecord | undefined {
  // Losers of a race mostly see the winner's commit already: a read answers them (outside a
  // group commit it never waits in WAL mode, keeping them off the write lock). The claim
  // itself is still the conditional UPDATE below; the read only saw a state the task had.
  const current = db.get<{ state: string }>('SELECT state FROM tasks WHERE key = @key', { key });
  if (current?.state !== 'queued') return undefined;
  const now = claim.now.getTime();
  const row = db.write(() =>
    transition(
      db,
      `UPDATE tasks SET state = 'assigned', attempt = attempt + 1, assignee = @assignee,
         lease_expires_at = @lease, assigned_at = @now, started_at = NULL, reason = NULL,
         updated_at = @now
       WHERE key = @key AND state = 'queued' RETURNING *`,
      { key, assignee: claim.assignee, lease: ms(claim.leaseExpiresAt), now },
      now,
    ),
  );
  return row && taskFromRow(row);
}

export function setQueuedReason(
  db: SqliteDb,
  keys: readonly string[],
  reason: string | undefined,
): number {
  return db.write(() => {
    let changed = 0;
    for (const key of keys)
      changed += db.run(
        `UPDATE tasks SET reason = @reason
         WHERE key = @key AND state = 'queued' AND reason IS NOT @reason`,
        { key, reason: reason ?? null },
      ).changes;
    return changed;
  });
}

export function releaseTask(
  db: SqliteDb,
  key: string,
  attempt: number,
  now: Date,
): TaskRecord | undefined {
  const row = db.write(() =>
    transition(
      db,
      `UPDATE tasks SET state = 'queued', ${CLEAR_RUN}, updated_at = @now
       WHERE key = @key AND state = 'assigned' AND attempt = @attempt RETURNING *`,
      { key, attempt, now: now.getTime() },
      now.getTime(),
    ),
  );
  return row && taskFromRow(row);
}

export function startTask(
  db: SqliteDb,
  key: string,
  attempt: number,
  now: Date,
): TaskRecord | undefined {
  const row = db.write(
    () =>
      transition(
        db,
        `UPDATE tasks SET state = 'running', started_at = @now, updated_at = @now
         WHERE key = @key AND state = 'assigned' AND attempt = @attempt RETURNING *`,
        { key, attempt, now: now.getTime() },
        now.getTime(),
      ) ??
      // A resent "started" (after a reconnect) is not an error and not a new event.
      db.get<TaskRow>(
        "SELECT * FROM tasks WHERE key = @key AND state = 'running' AND attempt = @attempt",
        { key, attempt },
      ),
  );
  return row && taskFromRow(row);
}

export function renewLeases(
  db: SqliteDb,
  assignee: string,
  tasks: { key: string; attempt: number }[],
  leaseExpiresAt: Date,
): string[] {
  return db.write(() =>
    tasks.flatMap(
      ({ key, attempt }) =>
        db.get<{ key: string }>(
          `UPDATE tasks SET lease_expires_at = @lease
             WHERE key = @key AND attempt = @attempt AND assignee = @assignee
               AND state IN ${LEASED} RETURNING key`,
          { key, attempt, assignee, lease: leaseExpiresAt.getTime() },
        )?.key ?? [],
    ),
  );
}

export function finishTask(
  db: SqliteDb,
  key: string,
  attempt: number,
  result: ResultRecord,
  now: Date,
): FinishOutcome {
  const blobs = assertResultFor(key, result);
  const text = specText(result.spec);
  return db.write((): FinishOutcome => {
    const taskRow = db.get<TaskRow>('SELECT * FROM tasks WHERE key = @key', { key });
    if (taskRow === undefined) return { outcome: 'not_found' };
    const task = taskFromRow(taskRow);
    const storedRow = db.get<ResultRow>('SELECT * FROM results WHERE task_key = @key', { key });
    const stored = storedRow && resultFromRow(storedRow);
    const refusal = refuseFinish(task, stored, attempt, text);
    if (refusal !== undefined) return refusal;
    for (const blob of blobs)
      if (db.get('SELECT 1 FROM blobs WHERE hash = @hash', { hash: blob.hash }) === undefined)
        throw unknownBlobError('result', blob);
    const resultRow = db.get<ResultRow>(
      `INSERT INTO results (task_key, attempt, spec, poster, created_at)
       VALUES (@key, @attempt, @spec, @poster, @createdAt) RETURNING *`,
      { key, attempt, spec: text, poster: result.poster, createdAt: ms(result.createdAt) },
    );
    for (const hash of distinctHashes(blobs))
      db.run('INSERT INTO result_blobs (task_key, hash) VALUES (@key, @hash)', { key, hash });
    const finished = transition(
      db,
      `UPDATE tasks SET state = 'finished', lease_expires_at = NULL, finished_at = @now,
         updated_at = @now
       WHERE key = @key RETURNING *`,
      { key, now: now.getTime() },
      now.getTime(),
    );
    if (resultRow === undefined || finished === undefined)
      throw new Error('finishing a task wrote no row');
    settleDependents(db, key, now.getTime());
    return { outcome: 'stored', task: taskFromRow(finished), result: resultFromRow(resultRow) };
  });
}

export function failTask(
  db: SqliteDb,
  key: string,
  reason: string,
  now: Date,
  attempt?: number,
): TaskRecord | undefined {
  const row = db.write(() => {
    const failed = transition(
      db,
      `UPDATE tasks SET state = 'failed', reason = @reason, lease_expires_at = NULL,
         finished_at = @now, updated_at = @now
       WHERE key = @key AND state IN ${ACTIVE} AND (@attempt IS NULL OR attempt = @attempt)
       RETURNING *`,
      { key, reason, attempt: attempt ?? null, now: now.getTime() },
      now.getTime(),
    );
    if (failed !== undefined) settleDependents(db, key, now.getTime());
    return failed;
  });
  return row && taskFromRow(row);
}

export function cancelTask(
  db: SqliteDb,
  key: string,
  reason: string,
  now: Date,
): TaskRecord | undefined {
  const before = db.write(() => {
    const row = db.get<TaskRow>(`SELECT * FROM tasks WHERE key = @key AND state IN ${ACTIVE}`, {
      key,
    });
    if (row === undefined) return undefined;
    transition(
      db,
      `UPDATE tasks SET state = 'cancelled', reason = @reason, lease_expires_at = NULL,
         finished_at = @now, updated_at = @now
       WHERE key = @key RETURNING *`,
      { key, reason, now: now.getTime() },
      now.getTime(),
    );
    settleDependents(db, key, now.getTime());
    return row;
  });
  return before && taskFromRow(before);
}

/** Back to the queue for a new run: attempt kept (the next claim increments it). */
const REQUEUE = `state = 'queued', ${CLEAR_RUN}, reason = NULL, lost_count = 0, updated_at = @now`;

export function requeueTask(
  db: SqliteDb,
  key: string,
  now: Date,
  fromStates?: readonly TaskState[],
): TaskRecord | undefined {
  assertStates(fromStates);
  // Checked names of states, so they can be written into the statement.
  const from =
    fromStates === undefined
      ? ''
      : `AND state IN (${fromStates.map((state) => `'${state}'`).join(', ') || 'NULL'})`;
  const row = db.write(() => {
    const requeued = transition(
      db,
      `UPDATE tasks SET ${REQUEUE} WHERE key = @key AND state != 'queued' ${from} RETURNING *`,
      { key, now: now.getTime() },
      now.getTime(),
    );
    if (requeued !== undefined) db.run('DELETE FROM results WHERE task_key = @key', { key });
    return requeued;
  });
  return row && taskFromRow(row);
}

export function deleteResult(db: SqliteDb, taskKey: string, now: Date): boolean {
  return db.write(() => {
    const deleted = db.run('DELETE FROM results WHERE task_key = @key', { key: taskKey });
    if (deleted.changes === 0) return false;
    transition(
      db,
      `UPDATE tasks SET ${REQUEUE} WHERE key = @key RETURNING *`,
      { key: taskKey, now: now.getTime() },
      now.getTime(),
    );
    return true;
  });
}

const previous = (row: TaskRow): { previousAssignee?: string } =>
  row.assignee === null ? {} : { previousAssignee: row.assignee };

export function expireLeases(
  db: SqliteDb,
  now: Date,
  reasonFor: (task: TaskRecord) => string,
): ExpiredLease[] {
  const at = now.getTime();
  return db.write(() => {
    const expired = db.all<TaskRow>(
      `SELECT * FROM tasks INDEXED BY tasks_by_lease
       WHERE state IN ${LEASED} AND lease_expires_at < @now
       ORDER BY lease_expires_at, key`,
      { now: at },
    );
    return expired.map((row): ExpiredLease => {
      const task = taskFromRow(row);
      const params = { key: row.key, attempt: row.attempt, now: at };
      if (row.lost_count + 1 >= row.max_attempts) {
        const failed = transition(
          db,
          `UPDATE tasks SET state = 'failed', lost_count = lost_count + 1, reason = @reason,
             lease_expires_at = NULL, finished_at = @now, updated_at = @now
           WHERE key = @key AND attempt = @attempt RETURNING *`,
          { ...params, reason: reasonFor(task) },
          at,
        );
        if (failed === undefined) throw new Error('an expired task vanished in its transaction');
        settleDependents(db, row.key, at);
        return { task: taskFromRow(failed), outcome: 'failed', ...previous(row) };
      }
      const requeued = transition(
        db,
        `UPDATE tasks SET state = 'queued', lost_count = lost_count + 1, ${CLEAR_RUN},
           updated_at = @now
         WHERE key = @key AND attempt = @attempt RETURNING *`,
        params,
        at,
      );
      if (requeued === undefined) throw new Error('an expired task vanished in its transaction');
      return { task: taskFromRow(requeued), outcome: 'requeued', ...previous(row) };
    });
  });
}
