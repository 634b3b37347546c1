/**
 * The server-side life of a task (DESIGN.md, "Task lifecycle"): `waiting` (dependencies
 * not done) → `queued` → `assigned` (lease held) → `running` → `finished` (a result is
 * stored, whatever the exit code) · `failed` (could not be run) · `cancelled`.
 */
export const TASK_STATES = [
  'waiting',
  'queued',
  'assigned',
  'running',
  'finished',
  'failed',
  'cancelled',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_TASK_STATES: readonly TaskState[] = ['finished', 'failed', 'cancelled'];

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.includes(state);
}
