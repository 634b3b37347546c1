import type {
  TaskAttemptOutcome,
  TaskAttemptView,
  TaskHistoryEntryView,
  TaskHistoryView,
} from '@kolejka/spec';
import { TASK_HISTORY_LIMIT, type TaskEvent, type TaskState } from '../store/store.js';

/** The states that end an attempt (and become its outcome). */
const ENDS_ATTEMPT: ReadonlySet<TaskState> = new Set<TaskAttemptOutcome>([
  'queued',
  'finished',
  'failed',
  'cancelled',
]);

const isOutcome = (state: TaskState): state is TaskAttemptOutcome => ENDS_ATTEMPT.has(state);

const sameEntry = (a: TaskHistoryEntryView, b: TaskHistoryEntryView): boolean =>
  a.state === b.state &&
  a.attempt === b.attempt &&
  a.assignee === b.assignee &&
  a.reason === b.reason;

/**
 * A task's history view from its events (`Store.taskHistory`, oldest first).
 *
 * Entries: one per state entered. A repeat of the entry before it (a priority change logs
 * the unchanged state, so schedulers re-place the task) is folded into the first, which
 * says when the state was entered. Deletion events are not states: a key's events up to
 * its last deletion belong to a task that is gone.
 *
 * Attempts: `assigned` opens one (its assignee, assignedAt), `running` of the same attempt
 * is its start, the next queued/finished/failed/cancelled event ends it with that state as
 * the outcome. The log may have lost the beginning (retention, the event limit): a
 * `running` or an ending event that carries an assignee and an attempt not seen yet stands
 * for an attempt whose earlier events are gone, and is shown with what is known.
 */
export function taskHistoryView(events: readonly TaskEvent[]): TaskHistoryView {
  const lastDeletion = events.findLastIndex((event) => event.isDeleted === true);
  const live = events.slice(lastDeletion + 1);
  const items: TaskHistoryEntryView[] = [];
  const attempts: TaskAttemptView[] = [];
  let open: TaskAttemptView | undefined;
  let highestAttempt = 0;

  const begin = (event: TaskEvent): TaskAttemptView => {
    // An attempt that never reported its end (its ending event is gone) stays open-ended.
    const attempt: TaskAttemptView = {
      attempt: event.attempt,
      ...(event.assignee === undefined ? {} : { assignee: event.assignee }),
    };
    attempts.push(attempt);
    highestAttempt = Math.max(highestAttempt, event.attempt);
    return attempt;
  };

  for (const event of live) {
    const at = event.at.toISOString();
    const entry: TaskHistoryEntryView = {
      state: event.state,
      attempt: event.attempt,
      at,
      ...(event.assignee === undefined ? {} : { assignee: event.assignee }),
      ...(event.reason === undefined ? {} : { reason: event.reason }),
    };
    const previous = items.at(-1);
    if (previous === undefined || !sameEntry(previous, entry)) items.push(entry);

    const isNewAttempt = event.attempt > highestAttempt && event.assignee !== undefined;
    if (event.state === 'assigned') {
      open = begin(event);
      open.assignedAt = at;
    } else if (event.state === 'running') {
      if (open?.attempt !== event.attempt && isNewAttempt) open = begin(event);
      if (open?.attempt === event.attempt) open.startedAt ??= at;
    } else if (isOutcome(event.state)) {
      if (open === undefined && isNewAttempt) open = begin(event);
      if (open !== undefined) {
        open.endedAt = at;
        open.outcome = event.state;
        open = undefined;
      }
    }
  }
  return { items, attempts, isTruncated: events.length >= TASK_HISTORY_LIMIT };
}
