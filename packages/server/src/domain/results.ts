import {
  dumpResult,
  parseResult,
  pointerAppend,
  validationError,
  type FilesSpec,
  type ValidationIssue,
} from '@kolejka/spec';
import type { AppContext } from '../app-context.js';
import { hasPermission, isAdmin, type Principal } from '../auth/principal.js';
import { newUuidHex } from '../auth/tokens.js';
import type { FinishOutcome, ResultRecord, TaskRecord } from '../store/store.js';
import { resolveFileReference } from './blob-access.js';

/**
 * Whether the caller holds the task's assignment: the assignee is the processor's user
 * name (original `/queue/dequeue/`) or the id of a foreman that logs in as that user.
 */
export async function isAssignedTo(
  ctx: AppContext,
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  if (task.assignee === undefined) return false;
  if (task.assignee === principal.username) return true;
  const foreman = await ctx.store.getForeman(task.assignee);
  return foreman?.username === principal.username;
}

/** Processors post the results of their own assignments; admins any. */
export async function mayPostResult(
  ctx: AppContext,
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  if (isAdmin(principal)) return true;
  return hasPermission(principal, 'task:process') && (await isAssignedTo(ctx, principal, task));
}

/**
 * Stores the result of `attempt` of a task (fenced by the store: a stale attempt or a
 * different second result is refused, an identical resend is a no-op). Result files must
 * name blobs the poster may read; they are stored by hash and the task's owner receives a
 * reference to each, so it can download them. The callback fires once, after storing.
 */
export async function recordResult(
  ctx: AppContext,
  principal: Principal,
  task: TaskRecord,
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
          : await resolveFileReference(ctx, principal, file.reference);
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

  const now = ctx.clock();
  const record: ResultRecord = {
    taskKey: task.key,
    attempt,
    spec: dumpResult({ ...result, id: task.key, files }),
    poster: principal.username,
    createdAt: now,
  };
  const outcome = await ctx.store.finishTask(task.key, attempt, record, now);
  if (outcome.outcome === 'stored' || outcome.outcome === 'duplicate') {
    // Also on a duplicate: a poster retrying after a crash here completes the hand-over.
    await grantResultFiles(ctx, outcome.task, outcome.result, now);
  }
  if (outcome.outcome === 'stored') {
    ctx.logger.info('result stored', { task: task.key, attempt, poster: principal.username });
    ctx.callbacks.schedule(outcome.task, outcome.result);
  }
  return outcome;
}

async function grantResultFiles(
  ctx: AppContext,
  task: TaskRecord,
  result: ResultRecord,
  now: Date,
): Promise<void> {
  const hashes = new Set(
    Object.values(result.spec.files)
      .map((file) => file.reference)
      .filter((hash): hash is string => hash !== undefined),
  );
  for (const hash of hashes) await ctx.store.ensureReference(task.owner, hash, now, newUuidHex());
}
