import type { ResultSpecJson, TaskSpecJson } from '@kolejka/spec';
import type {
  BlobRecord,
  ResultRecord,
  TaskRecord,
  TaskState,
  TokenRecord,
  UserRecord,
} from '../../store/store.js';

/** A task as the v1 API shows it (times as ISO-8601 UTC text). */
export interface TaskView {
  key: string;
  owner: string;
  state: TaskState;
  priority: number;
  attempt: number;
  maxAttempts: number;
  assignee?: string;
  leaseExpiresAt?: string;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  assignedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Canonical spec; `files[*].reference` are blob hashes. */
  spec: TaskSpecJson;
}

export interface ResultView {
  taskKey: string;
  attempt: number;
  poster: string;
  createdAt: string;
  spec: ResultSpecJson;
}

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
