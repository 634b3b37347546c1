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
  // Task dependencies (issue 12): shown when reading one task, not in listings.
  /** Keys of the tasks it waits on, in the order submitted. */
  dependencies?: string[];
  /** When a dependency lets it run: `finished` (a result, any exit code), `succeeded` (exit 0), `any`. */
  after?: 'finished' | 'succeeded' | 'any';
  /** Input file name → the dependency result file it becomes. */
  inputs?: Record<string, { from: string; path: string }>;
  /** How many dependencies have not satisfied it yet. */
  unsatisfiedDependencies?: number;
  /** How many tasks depend on it (absent when none). */
  dependentCount?: number;
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
