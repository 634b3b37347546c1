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
  return { isFinished: false, reason: attemptOverReason(event, held.attempt) };
}

/** Why attempt `attempt` is over, given the task as it is now (state and current attempt). */
export function attemptOverReason(
  task: { state: string; attempt: number },
  attempt: number,
): string {
  if (task.state === 'cancelled') return 'the task was cancelled';
  if (task.state === 'failed') return 'the task failed';
  return `attempt ${attempt} is no longer current (the task is ${task.state} at attempt ${task.attempt})`;
}
