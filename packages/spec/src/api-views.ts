import type { ResultSpecJson } from './result.js';
import type { TaskSpecJson } from './task.js';
import type { TaskState } from './task-state.js';

/**
 * How API v1 shows a task (`GET /api/v1/tasks/{key}`): the server builds it, the client
 * reads it. Times are ISO-8601 UTC text.
 */
export interface TaskView {
  key: string;
  owner: string;
  state: TaskState;
  priority: number;
  attempt: number;
  maxAttempts: number;
  assignee?: string;
  leaseExpiresAt?: string;
  /** Why the task failed or was cancelled, or why it waits. */
  reason?: string;
  createdAt: string;
  updatedAt: string;
  assignedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** The id of the schedule whose firing submitted the task. */
  schedule?: string;
  /** Canonical task spec; `files[*].reference` are blob hashes. */
  spec: TaskSpecJson;
}

/** How API v1 shows a result (`GET /api/v1/tasks/{key}/result`). */
export interface ResultView {
  taskKey: string;
  attempt: number;
  poster: string;
  createdAt: string;
  /** Canonical result spec; `files[*].reference` are blob hashes. */
  spec: ResultSpecJson;
}
