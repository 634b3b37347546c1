import { KolejkaError } from '@kolejka/spec';
import { hasPermission, type Principal } from '../accounts/principal.js';
import type { Store, TaskRecord } from '../store/store.js';

/** What the access checks read. */
export interface TaskAccessPorts {
  store: Store;
}

/**
 * Whether the caller holds the task's assignment: the assignee is the processor's user
 * name (original `/queue/dequeue/`) or the id of a foreman that logs in as that user.
 */
export async function isAssignedTo(
  ports: TaskAccessPorts,
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  if (task.assignee === undefined) return false;
  if (task.assignee === principal.username) return true;
  const foreman = await ports.store.getForeman(task.assignee);
  return foreman?.username === principal.username;
}

/** Owners, read-everything roles and the task's assignee may read a task. */
export async function mayReadTask(
  ports: TaskAccessPorts,
  principal: Principal,
  task: TaskRecord,
): Promise<boolean> {
  return (
    task.owner === principal.username ||
    hasPermission(principal, 'task:read-any') ||
    (await isAssignedTo(ports, principal, task))
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
  ports: TaskAccessPorts,
  principal: Principal,
  key: string,
): Promise<TaskRecord> {
  const task = /^[0-9a-f]{32}$/.test(key) ? await ports.store.getTask(key) : undefined;
  if (task === undefined || !(await mayReadTask(ports, principal, task))) throw taskNotFound(key);
  return task;
}
