/**
 * Why a task's command ended: Kolejka's additive `termination` field of a result, so nobody
 * has to guess from exit code 137. The original platform ignores unknown fields.
 */
export const TERMINATION_REASONS = [
  /** The command exited by itself; `result` is its exit code. */
  'exited',
  /** Killed by a signal that was not one of Kolejka's limits (`signal` names it). */
  'signal',
  /** The wall-clock `time` limit was reached and the command was killed. */
  'time_limit',
  /** The kernel's OOM killer ended it at the `memory` limit. */
  'memory_limit',
  /** It failed after the `pids` limit refused it a process or thread (`stats.pids.failures`). */
  'pids_limit',
  /** stdout/stderr grew beyond the worker's cap; output was truncated and the command killed. */
  'output_limit',
  /**
   * The disk holding the task's output or result (the foreman's `--temp`) filled up: the
   * command was killed and its output is incomplete. Not the task's verdict: a host problem.
   */
  'disk_full',
  /** The command could not be started (missing image, bad executable, …); see `message`. */
  'start_failed',
  /** Cancelled by a user or an administrator. */
  'cancelled',
] as const;

export type TerminationReason = (typeof TERMINATION_REASONS)[number];

export interface Termination {
  reason: TerminationReason;
  /** Signal name when killed by one, e.g. `SIGKILL`. */
  signal?: string;
  /** Human explanation, e.g. which limit or what failed. */
  message?: string;
}
