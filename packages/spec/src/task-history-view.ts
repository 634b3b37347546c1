import type { TaskState } from './task-state.js';

/**
 * How API v1 shows a task's history (`GET /api/v1/tasks/{key}/history`): the server builds
 * it from its event log, the client reads it. Times are ISO-8601 UTC text.
 */
export interface TaskHistoryView {
  /** The states the task went through, oldest first. */
  items: TaskHistoryEntryView[];
  /** Its attempts (each claim by a foreman or processor), oldest first. */
  attempts: TaskAttemptView[];
  /**
   * The answer reached the server's limit of events per history (1,000): older ones may have
   * been left out. (Events older than the server's event retention are gone in any case.)
   */
  isTruncated: boolean;
}

export interface TaskHistoryEntryView {
  /** The state entered. */
  state: TaskState;
  /** The task's attempt counter then (0 before the first claim). */
  attempt: number;
  at: string;
  /** The foreman id or processor user holding the task then. */
  assignee?: string;
  /** Why it failed or was cancelled (or why it waits). */
  reason?: string;
}

/** How an attempt ended: back to the queue (released, lease lost, requeued) or an end state. */
export type TaskAttemptOutcome = 'queued' | 'finished' | 'failed' | 'cancelled';

export interface TaskAttemptView {
  attempt: number;
  /** The foreman id or processor user it was assigned to. */
  assignee?: string;
  assignedAt?: string;
  /** When the assignee started it (absent: it never ran, or that event is gone). */
  startedAt?: string;
  /** Absent while the attempt goes on. */
  endedAt?: string;
  outcome?: TaskAttemptOutcome;
}
