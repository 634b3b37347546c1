import { constants } from 'node:os';
import type { Termination } from '@kolejka/spec';

/** Why the worker itself killed the container, if it did. */
export type KillReason = 'time_limit' | 'output_limit' | 'disk_full' | 'cancelled';

export interface ExitFacts {
  /** The container's exit status (docker-init reports 128+N for a command killed by signal N). */
  exitCode: number;
  /** What the worker killed the container for, when it did. */
  killedFor?: KillReason;
  /** Docker's State.OOMKilled, or the cgroup's OOM kill count being non-zero. */
  oomKilled: boolean;
  /** Number of processes the OOM killer ended (when known). */
  oomKills?: number;
  /** Forks and thread creations the pids limit refused (read at the exit). */
  pidsFailures?: number;
  pidsLimit?: number;
  timeLimitSeconds?: number;
  outputLimitBytes?: number;
}

// Linux gives some numbers two names; the result names the one that `kill -l` and the
// original platform print (SIGABRT, not SIGIOT; SIGIO, not SIGPOLL).
const ALIASES = new Set(['SIGIOT', 'SIGPOLL', 'SIGUNUSED', 'SIGCLD']);

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals)
    .filter(([name]) => !ALIASES.has(name))
    .map(([name, number]) => [number, name]),
);

/** The name of a signal number ("SIGKILL"), or "SIG<n>" when unknown. */
export function signalName(signal: number): string {
  return SIGNAL_NAMES.get(signal) ?? `SIG${signal}`;
}

/**
 * Decides `termination` (Kolejka's additive result field). Docker only reports the exit
 * status of docker-init, which is the command's own status or 128+N when the command was
 * killed by signal N, so:
 * - the worker's own kill (status 137) → `time_limit`, `output_limit` or `cancelled`;
 * - a non-zero status with an OOM kill in the container → `memory_limit` (the OOM killer
 *   may have hit the command or one of its children: the two cannot be told apart);
 * - a non-zero status after the pids limit refused a process or thread → `pids_limit`
 *   (a fork bomb ends so, by the failure it met or by a signal);
 * - a status 129..159 that names a signal → `signal`;
 * - anything else → `exited`.
 */
export function decideTermination(facts: ExitFacts): Termination {
  const { exitCode } = facts;
  if (facts.killedFor !== undefined && exitCode === 128 + constants.signals.SIGKILL) {
    switch (facts.killedFor) {
      case 'time_limit':
        return {
          reason: 'time_limit',
          signal: 'SIGKILL',
          message: `killed at the wall-clock time limit of ${facts.timeLimitSeconds ?? '?'} s`,
        };
      case 'output_limit':
        return {
          reason: 'output_limit',
          signal: 'SIGKILL',
          message: `killed when its output reached the limit of ${facts.outputLimitBytes ?? '?'} bytes; the output file is truncated there`,
        };
      case 'disk_full':
        return {
          reason: 'disk_full',
          signal: 'SIGKILL',
          message: 'killed when its output could not be written: the disk is full',
        };
      case 'cancelled':
        return {
          reason: 'cancelled',
          signal: 'SIGKILL',
          message: 'cancelled; the container was killed',
        };
    }
  }
  if (exitCode !== 0 && facts.oomKilled) {
    const count =
      facts.oomKills !== undefined && facts.oomKills > 0
        ? ` (${facts.oomKills} process(es) killed)`
        : '';
    return {
      reason: 'memory_limit',
      ...(exitCode > 128 ? { signal: signalName(exitCode - 128) } : {}),
      message: `the kernel's OOM killer ended a process at the memory limit${count}`,
    };
  }
  if (exitCode !== 0 && (facts.pidsFailures ?? 0) > 0) {
    return {
      reason: 'pids_limit',
      ...(exitCode > 128 && exitCode < 160 ? { signal: signalName(exitCode - 128) } : {}),
      message: `the pids limit${facts.pidsLimit !== undefined ? ` of ${facts.pidsLimit}` : ''} refused ${facts.pidsFailures} process(es) or thread(s)`,
    };
  }
  if (exitCode > 128 && exitCode < 160 && SIGNAL_NAMES.has(exitCode - 128)) {
    const name = signalName(exitCode - 128);
    return { reason: 'signal', signal: name, message: `killed by ${name}` };
  }
  return { reason: 'exited' };
}
