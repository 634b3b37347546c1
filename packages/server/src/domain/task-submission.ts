import {
  assertRunnable,
  dumpTask,
  isKolejkaError,
  parseTask,
  pointerAppend,
  validationError,
  type FilesSpec,
  type ValidationIssue,
} from '@kolejka/spec';
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { newUuidHex } from '../auth/tokens.js';
import type { TaskRecord } from '../store/store.js';
import { resolveFileReference } from './blob-access.js';
import { applyServerLimits, taskPolicyIssues } from './task-policy.js';

export interface SubmitOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
}

/**
 * Validates a task as a caller submitted it and stores it queued, as the original does:
 * a fresh uuid4-hex key replaces any `id`, every file must name a blob the caller may read
 * (a hash, or one of its reference keys) and is stored by hash with `path` dropped, and the
 * server's default and maximum limits apply. Every problem is reported at once.
 */
export async function submitTask(
  ctx: AppContext,
  principal: Principal,
  json: unknown,
  options: SubmitOptions = {},
): Promise<TaskRecord> {
  const task = parseTask(json);
  const issues: ValidationIssue[] = [];
  try {
    assertRunnable(task);
  } catch (error) {
    if (!isKolejkaError(error, 'KOLEJKA_VALIDATION')) throw error;
    issues.push(...error.issues);
  }
  issues.push(...taskPolicyIssues(task, ctx.settings));

  const files: FilesSpec = {};
  await Promise.all(
    Object.entries(task.files).map(async ([name, file]) => {
      const path = pointerAppend(pointerAppend('/files', name), 'reference');
      if (file.reference === undefined || file.reference === '') {
        issues.push({
          path,
          message: `is missing: file ${JSON.stringify(name)} does not have a reference; upload it and give its hash`,
        });
        return;
      }
      const hash = await resolveFileReference(ctx, principal, file.reference);
      if (hash === undefined) {
        issues.push({
          path,
          message: `${JSON.stringify(file.reference)} is unknown: name the SHA-256 of a blob you uploaded (or one of your reference keys)`,
        });
        return;
      }
      files[name] = { reference: hash };
    }),
  );
  if (issues.length > 0) throw validationError('task', sortIssues(issues));

  const key = newUuidHex();
  const now = ctx.clock();
  const spec = dumpTask({
    ...task,
    id: key,
    limits: applyServerLimits(task.limits, ctx.settings),
    files: Object.fromEntries(Object.keys(task.files).map((name) => [name, files[name] ?? {}])),
  });
  const record: TaskRecord = {
    key,
    owner: principal.username,
    spec,
    state: 'queued',
    priority: options.priority ?? 0,
    attempt: 0,
    lostCount: 0,
    maxAttempts: ctx.settings.maxAttempts,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.createTask(record);
  ctx.logger.info('task submitted', { task: key, owner: principal.username });
  return record;
}

/** Issues in document order, whatever order the file checks finished in. */
function sortIssues(issues: ValidationIssue[]): ValidationIssue[] {
  return [...issues].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
