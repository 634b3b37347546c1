import type { TaskView } from '@kolejka/spec';
import type { TaskRecord } from '../store/store.js';

/** A task as API v1 shows it: ISO times, optional fields only when set. */
export function taskView(task: TaskRecord): TaskView {
  const view: TaskView = {
    key: task.key,
    owner: task.owner,
    state: task.state,
    priority: task.priority,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    spec: task.spec,
  };
  const optional: Record<string, unknown> = {
    assignee: task.assignee,
    leaseExpiresAt: task.leaseExpiresAt?.toISOString(),
    reason: task.reason,
    assignedAt: task.assignedAt?.toISOString(),
    startedAt: task.startedAt?.toISOString(),
    finishedAt: task.finishedAt?.toISOString(),
    schedule: task.schedule,
  };
  for (const [name, value] of Object.entries(optional))
    if (value !== undefined) (view as unknown as Record<string, unknown>)[name] = value;
  return view;
}
