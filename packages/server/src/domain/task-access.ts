import { KolejkaError } from '@kolejka/spec';
import type { AppContext } from '../app-context.js';
import { hasPermission, type Principal } from '../auth/principal.js';
import type { TaskRecord } from '../store/store.js';
import { isAssignedTo } from './results.js';

/** Owners, read-everything roles and the task's assignee may read a task. */
export async function mayReadTask(
  ctx: AppContext,
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  return (
    task.owner === principal.username ||
    hasPermission(principal, 'task:read-any') ||
    (await isAssignedTo(ctx, principal, task))
  );
}

/** The assignee may not read the result (as the original): owners and read-everything roles. */
export function mayReadResult(principal: Principal, task: TaskRecord): boolean {
  return task.owner === principal.username || hasPermission(principal, 'task:read-any');
}

/** Owners and managers (and admins) cancel and delete tasks and results. */
export function mayDeleteTask(principal: Principal, task: TaskRecord): boolean {
  return task.owner === principal.username || hasPermission(principal, 'task:delete-any');
}

export function taskNotFound(key: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `Task ${JSON.stringify(key)} does not exist`, {
    details: { taskKey: key },
  });
}

/**
 * The task when the caller may read it. Tasks the caller may not see get the same
 * KOLEJKA_NOT_FOUND as missing ones.
 */
export async function visibleTask(
  ctx: AppContext,
  principal: Principal,
  key: string,
): Promise<TaskRecord> {
  const task = /^[0-9a-f]{32}$/.test(key) ? await ctx.store.getTask(key) : undefined;
  if (task === undefined || !(await mayReadTask(ctx, principal, task))) throw taskNotFound(key);
  return task;
}
