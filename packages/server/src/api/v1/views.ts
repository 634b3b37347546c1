import type { ResultView, TaskView } from '@kolejka/spec';
import type {
  BlobRecord,
  ResultRecord,
  TaskRecord,
  TokenRecord,
  UserRecord,
} from '../../store/store.js';

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

function withOptional<T extends object>(base: T, optional: Record<string, unknown>): T {
  for (const [name, value] of Object.entries(optional)) {
    if (value !== undefined) (base as Record<string, unknown>)[name] = value;
  }
  return base;
}

export function taskView(task: TaskRecord): TaskView {
  return withOptional(
    {
      key: task.key,
      owner: task.owner,
      state: task.state,
      priority: task.priority,
      attempt: task.attempt,
      maxAttempts: task.maxAttempts,
      createdAt: task.createdAt.toISOString(),
      updatedAt: task.updatedAt.toISOString(),
      spec: task.spec,
    },
    {
      assignee: task.assignee,
      leaseExpiresAt: iso(task.leaseExpiresAt),
      reason: task.reason,
      assignedAt: iso(task.assignedAt),
      startedAt: iso(task.startedAt),
      finishedAt: iso(task.finishedAt),
    },
  );
}

export function resultView(result: ResultRecord): ResultView {
  return {
    taskKey: result.taskKey,
    attempt: result.attempt,
    poster: result.poster,
    createdAt: result.createdAt.toISOString(),
    spec: result.spec,
  };
}

export function blobView(blob: BlobRecord): { hash: string; size: number; createdAt: string } {
  return { hash: blob.hash, size: blob.size, createdAt: blob.createdAt.toISOString() };
}

export function tokenView(token: TokenRecord): Record<string, unknown> {
  return withOptional(
    { id: token.id, username: token.username, createdAt: token.createdAt.toISOString() },
    { label: token.label, lastUsedAt: iso(token.lastUsedAt) },
  );
}

export function userView(user: UserRecord): Record<string, unknown> {
  return {
    username: user.username,
    roles: user.roles,
    createdAt: user.createdAt.toISOString(),
  };
}
