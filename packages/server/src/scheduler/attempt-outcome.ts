import type { TaskEvent } from '../store/store.js';
import type { HeldTask } from './foreman-session.js';

const LEASED = new Set(['assigned', 'running']);

/**
 * What a task event means for the foreman holding one attempt of that task: nothing
 * (`undefined`: an older event, or its own claim and start), or the end of its attempt —
 * finished (its result was stored) or over for another reason it must be told (cancelled,
 * deleted, failed, lease lost, superseded by a newer attempt).
 */
export function attemptOutcome(
  event: TaskEvent,
  held: HeldTask,
  foremanId: string,
): { isFinished: boolean; reason: string } | undefined {
  if (held.phase === 'claiming') return undefined;
  if (event.isDeleted === true) return { isFinished: false, reason: 'the task was deleted' };
  if (event.attempt < held.attempt) return undefined;
  const isCurrent = event.attempt === held.attempt;
  if (isCurrent && LEASED.has(event.state) && event.assignee === foremanId) return undefined;
  if (isCurrent && event.state === 'finished') return { isFinished: true, reason: 'finished' };
  const reason =
    event.state === 'cancelled'
      ? 'the task was cancelled'
      : event.state === 'failed'
        ? 'the task failed'
        : `attempt ${held.attempt} is no longer current (the task is ${event.state} at attempt ${event.attempt})`;
  return { isFinished: false, reason };
}
