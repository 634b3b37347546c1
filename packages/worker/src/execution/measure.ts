import {
  KolejkaError,
  diskFullCode,
  emptyStats,
  type Stats,
  type Termination,
} from '@kolejka/spec';
import type { TaskCgroup } from '../container/cgroup.js';
import { dockerDuration } from '../docker/time.js';
import type { Attached } from './create-and-attach.js';
import type { TaskRun } from './context.js';
import { execFailureFromStderr } from './output-capture.js';
import type { Exit } from './run-to-exit.js';
import { decideTermination } from './termination.js';

/** How long the output may keep flowing after the container stopped before it is cut. */
const OUTPUT_DRAIN_TIMEOUT_MS = 5_000;

/** What the result says about the run. */
export interface Outcome {
  exitCode: number;
  stats: Stats;
  termination: Termination;
  /** Stats that are the largest of samples (the kernel keeps no peak for them here). */
  sampledStats: string[];
  /** Whether a swap limit holds for the task (see TaskCgroupFigures). */
  isSwapLimitable: boolean;
}

/** Where nothing was measured nothing is claimed: no sampled stats, swap not doubted. */
const UNMEASURED = { sampledStats: [], isSwapLimitable: true };

/**
 * The fourth phase: Docker's view of the exit, the exact stats and the output, read side by
 * side; the container goes as soon as its view is read and its output drained, the parent
 * cgroup once its stats are read (the removals overlap the rest of the run). Then the
 * termination is decided.
 */
export async function measure(
  run: TaskRun,
  attached: Attached,
  exit: Exit,
  cgroup: TaskCgroup | undefined,
): Promise<Outcome> {
  if (!exit.isStarted) {
    attached.stream.end();
    return {
      exitCode: exit.exitCode,
      stats: { ...emptyStats(), time: 0 },
      termination: { reason: 'start_failed', message: exit.message },
      ...UNMEASURED,
    };
  }
  const { options, limits, resources, name } = run;
  const { container, capture } = attached;
  const inspection = container.inspect().catch(() => undefined);
  const output = finishOutput(attached);
  void Promise.all([inspection, output]).then(() => resources.removeContainer());
  const measuring = cgroup
    ? cgroup.finish({
        ...(limits.memory !== undefined ? { memoryBytes: limits.memory } : {}),
        ...(limits.pids !== undefined ? { pids: limits.pids } : {}),
      })
    : Promise.resolve({ stats: emptyStats(), oomKills: 0, isOomCountOwn: false, ...UNMEASURED });
  void measuring.then(() => resources.removeCgroup());
  const [inspected, measured] = await Promise.all([inspection, measuring, output]);
  const state = inspected?.State;
  const exitCode = state?.ExitCode ?? exit.statusCode;
  options.onEvent({ type: 'container:exited', containerId: container.id, name, exitCode });
  const time =
    (state ? dockerDuration(state.StartedAt, state.FinishedAt) : undefined) ??
    (Date.now() - exit.hostStartMs) / 1000;
  const execFailure = execFailureFromStderr(exitCode, capture.stderrHead);
  const writeError = capture.writeError;
  if (writeError !== undefined && diskFullCode(writeError) === undefined)
    throw new KolejkaError(
      'KOLEJKA_INTERNAL',
      `the output could not be written: ${writeError.message}`,
      {
        cause: writeError,
      },
    );
  const killedFor = attached.run.killedFor;
  // A full disk decides the termination even when the command ended before the kill.
  const termination: Termination = writeError
    ? {
        reason: 'disk_full',
        message: `the output could not be written (${writeError.code ?? 'error'}): the disk is full; the command was killed`,
      }
    : execFailure
      ? { reason: 'start_failed', message: `the command could not be started: ${execFailure}` }
      : decideTermination({
          exitCode,
          ...(killedFor !== undefined ? { killedFor } : {}),
          // On cgroup v2 Docker's OOMKilled counts the container's subtree (a judge's
          // sessions too): the task cgroup's own count decides there.
          oomKilled:
            measured.oomKills > 0 || (!measured.isOomCountOwn && (state?.OOMKilled ?? false)),
          oomKills: measured.oomKills,
          pidsFailures: measured.stats.pids.failures ?? 0,
          ...(limits.pids !== undefined ? { pidsLimit: limits.pids } : {}),
          ...(limits.time !== undefined ? { timeLimitSeconds: limits.time } : {}),
          outputLimitBytes: options.outputLimitBytes,
        });
  return {
    exitCode,
    stats: { ...measured.stats, time },
    termination,
    sampledStats: measured.sampledStats,
    isSwapLimitable: measured.isSwapLimitable,
  };
}

/** The output to its end, or cut OUTPUT_DRAIN_TIMEOUT_MS after the stop. */
async function finishOutput({ drained, stream }: Attached): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stream.end();
      (stream as unknown as { destroy?: () => void }).destroy?.();
      resolve();
    }, OUTPUT_DRAIN_TIMEOUT_MS);
  });
  await Promise.race([drained, timeout]);
  clearTimeout(timer);
}
