import {
  KolejkaError,
  dumpResult,
  parseResult,
  pointerAppend,
  validationError,
  type FilesSpec,
  type Logger,
  type ValidationIssue,
} from '@kolejka/spec';
import { hasPermission, isAdmin, type Principal } from '../accounts/principal.js';
import { newUuidHex } from '../accounts/tokens.js';
import { resolveFileReference } from '../blobs/blob-access.js';
import { withIssuesUnder } from '../http/issues.js';
import type { FinishOutcome, ResultRecord, Store, TaskRecord } from '../store/store.js';
import { isAssignedTo, taskNotFound } from '../tasks/task-access.js';
import type { CallbackDispatcher } from './callback-dispatcher.js';

/** What storing a result uses: the store, the time, a log, and the callbacks to fire. */
export interface ResultPorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  callbacks: Pick<CallbackDispatcher, 'schedule'>;
}

/** Processors post the results of their own assignments; admins any. */
export async function mayPostResult(
  ports: { store: Store },
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  if (isAdmin(principal)) return true;
  return hasPermission(principal, 'task:process') && (await isAssignedTo(ports, principal, task));
}

/**
 * Stores the result of `attempt` of a task (fenced by the store: a stale attempt or a
 * different second result is refused, an identical resend is a no-op). Result files must
 * name blobs the poster may read; they are stored by hash and the task's owner receives a
 * reference to each, so it can download them. The callback fires once, after storing.
 */
export async function recordResult(
  ports: ResultPorts,
  principal: Principal,
  task: Pick<TaskRecord, 'key'>,
  attempt: number,
  json: unknown,
): Promise<FinishOutcome> {
  const result = parseResult(json);
  const issues: ValidationIssue[] = [];
  if (result.result !== undefined && !Number.isSafeInteger(result.result)) {
    issues.push({ path: '/result', message: 'is not an exit status (a whole number)' });
  }
  const files: FilesSpec = {};
  await Promise.all(
    Object.entries(result.files).map(async ([name, file]) => {
      const path = pointerAppend(pointerAppend('/files', name), 'reference');
      const hash =
        file.reference === undefined || file.reference === ''
          ? undefined
          : await resolveFileReference(ports, principal, file.reference);
      if (hash === undefined) {
        issues.push({
          path,
          message:
            file.reference === undefined || file.reference === ''
              ? `is missing: file ${JSON.stringify(name)} does not have a reference; upload it first`
              : `${JSON.stringify(file.reference)} is unknown or belongs to a different user`,
        });
        return;
      }
      files[name] = { reference: hash };
    }),
  );
  if (issues.length > 0) throw validationError('result', issues);

  const now = ports.clock();
  const record: ResultRecord = {
    taskKey: task.key,
    attempt,
    spec: dumpResult({ ...result, id: task.key, files }),
    poster: principal.username,
    createdAt: now,
  };
  const outcome = await ports.store.finishTask(task.key, attempt, record, now);
  if (outcome.outcome === 'stored' || outcome.outcome === 'duplicate') {
    // Also on a duplicate: a poster retrying after a crash here completes the hand-over.
    await grantResultFiles(ports, outcome.task, outcome.result, now);
  }
  if (outcome.outcome === 'stored') {
    ports.logger.info('result stored', { task: task.key, attempt, poster: principal.username });
    ports.callbacks.schedule(outcome.task, outcome.result);
  }
  return outcome;
}

async function grantResultFiles(
  ports: ResultPorts,
  task: TaskRecord,
  result: ResultRecord,
  now: Date,
): Promise<void> {
  const hashes = new Set(
    Object.values(result.spec.files)
      .map((file) => file.reference)
      .filter((hash): hash is string => hash !== undefined),
  );
  // Issued together: with SQLite they share one transaction (group commit).
  await Promise.all(
    [...hashes].map((hash) => ports.store.ensureReference(task.owner, hash, now, newUuidHex())),
  );
}

const LEASED = new Set(['assigned', 'running']);

export function staleAttempt(task: TaskRecord, attempt: number): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_CONFLICT',
    `Attempt ${attempt} of task ${task.key} is not current (the task is ${task.state} at attempt ${task.attempt}: the lease was lost or the task moved on); the result is refused, stop working on it`,
    { details: { state: task.state, attempt: task.attempt } },
  );
}

/** A result posted for an assignment: by `PUT /api/v1/tasks/{key}/result` or in `task:finished`. */
export interface ResultPost {
  key: string;
  attempt: number;
  /** The result JSON, as sent (checked here). */
  result: unknown;
  /**
   * The task as read, to check that the poster holds its assignment. Omitted by a caller that
   * knows it already: the foreman channel, for an attempt its foreman was assigned.
   */
  task?: TaskRecord;
}

/**
 * Posts the result of an assignment — the one way processors report results, whatever the
 * transport: the assignment check, then `recordResult` (fenced by the store). Returns the
 * stored result (`stored` now, or `duplicate`: the identical result was stored before);
 * every refusal is a KolejkaError (validation issues under `/result`; 409 for a stale
 * attempt or a different result; 403 for someone else's assignment; 404 for a missing task).
 */
export async function postResult(
  ports: ResultPorts,
  principal: Principal,
  post: ResultPost,
): Promise<Extract<FinishOutcome, { outcome: 'stored' | 'duplicate' }>> {
  const { key, attempt, task } = post;
  if (task !== undefined && !isAdmin(principal) && !(await isAssignedTo(ports, principal, task))) {
    // A lost attempt: the task moved on (reassigned, requeued after its lease expired,
    // failed): the foreman is told its attempt is over rather than that it is a stranger.
    const isOver = task.state !== 'finished' && !LEASED.has(task.state);
    if (attempt !== task.attempt || (isOver && task.attempt > 0)) throw staleAttempt(task, attempt);
    throw new KolejkaError(
      'KOLEJKA_FORBIDDEN',
      `Task ${task.key} is not assigned to ${JSON.stringify(principal.username)}`,
    );
  }
  const outcome = await withIssuesUnder('/result', 'result request', () =>
    recordResult(ports, principal, { key }, attempt, post.result),
  );
  switch (outcome.outcome) {
    case 'stored':
    case 'duplicate':
      return outcome;
    case 'stale':
      throw staleAttempt(outcome.task, attempt);
    case 'conflict':
      throw new KolejkaError(
        'KOLEJKA_CONFLICT',
        `Task ${key} already has a different result (attempt ${outcome.result.attempt})`,
        { details: { state: outcome.task.state, attempt: outcome.result.attempt } },
      );
    case 'not_found':
      throw taskNotFound(key);
  }
}
