import { mkdir } from 'node:fs/promises';
import {
  diskFullCode,
  formatTime,
  writeResult,
  type Logger,
  type ResultSpec,
  type TaskSpec,
} from '@kolejka/spec';
import type { WorkerEvent } from '@kolejka/worker';
import type { BlobLease } from './blob-cache.js';
import type { Reservation } from '../capacity-ledger.js';
import { classifyRunError } from './failures.js';
import type { ResultUploads } from './result-uploads.js';
import type { LocalTask } from './local-task.js';
import { forget, reportFailure, type ForemanRuntime } from './runtime.js';
import { prepareTaskDir } from './task-inputs.js';
import { removeWorkDir } from './work-dirs.js';

/** A task outliving its time limit by this much (10 s + 10 %) is aborted by the foreman. */
export const DEADLINE_GRACE_MS = 10_000;
export const DEADLINE_GRACE_RATIO = 0.1;
/** After aborting, how long the worker gets to clean up before the failure is reported anyway. */
const ABORT_SETTLE_MS = 30_000;

/** The foreman's backstop deadline for a task with a time limit (the worker's own timer kills at the limit). */
export function deadlineMs(timeSeconds: number): number {
  return Math.round(timeSeconds * (1 + DEADLINE_GRACE_RATIO) * 1000 + DEADLINE_GRACE_MS);
}

/** Label on every task container, naming the foreman (to find orphans after a crash). */
export const FOREMAN_LABEL = 'org.kolejka.foreman';

type Outcome = { result: ResultSpec } | { error: unknown };

/**
 * One accepted task, from inputs to the report: the task dir from the blob cache, the
 * image (with a budget), the worker, then the result upload or a failure report. The
 * reservation is released as soon as the container is gone, before the upload, so the
 * next assignment (which the server sends the moment the result is stored) fits.
 */
export async function runTask(
  runtime: ForemanRuntime,
  uploads: ResultUploads,
  local: LocalTask,
  task: TaskSpec,
  reservation: Reservation,
): Promise<void> {
  const logger = runtime.logger.child({ task: local.key, attempt: local.attempt });
  const outcome = await runInWorker(runtime, local, task, reservation, logger);
  runtime.ledger.release(reservation.key);
  runtime.changed();
  if (runtime.images !== undefined) void runtime.images.enforce();
  if (local.stopCause !== undefined)
    return reportStopped(runtime, local, reservation.limits.time ?? 0, logger);
  if ('error' in outcome) return reportError(runtime, local, outcome.error, logger);
  const termination = outcome.result.termination;
  if (termination?.reason === 'disk_full') {
    // A host problem, not the task's verdict: the task fails with the reason, no result.
    runtime.disk.markFull();
    await removeWorkDir(local.workDir.root, logger);
    reportFailure(runtime, local, diskFullReason(termination.message ?? 'the disk is full'));
    return;
  }
  logger.info('task ran', {
    exitCode: outcome.result.result,
    termination: outcome.result.termination?.reason,
  });
  try {
    // As the original: the result carries the tags of the foreman that ran it.
    await writeResult(local.workDir.resultDir, {
      ...outcome.result,
      tags: [...runtime.options.tags],
    });
  } catch (error) {
    await removeWorkDir(local.workDir.root, logger);
    if (diskFullCode(error) !== undefined) runtime.disk.markFull();
    reportFailure(
      runtime,
      local,
      diskFullCode(error) !== undefined
        ? diskFullReason(String(error))
        : `the result could not be written: ${String(error)}`,
    );
    return;
  }
  await uploads.submit(local);
}

/** Inputs, image, then the worker; what it answered (its leases and pins released). */
async function runInWorker(
  runtime: ForemanRuntime,
  local: LocalTask,
  task: TaskSpec,
  reservation: Reservation,
  logger: Logger,
): Promise<Outcome> {
  const { options } = runtime;
  const signal = local.controller.signal;
  let leases: BlobLease[] = [];
  let deadline: NodeJS.Timeout | undefined;
  const unpinImage = runtime.images?.pin(task.image ?? '');
  try {
    await removeWorkDir(local.workDir.root, logger);
    await mkdir(local.workDir.resultDir, { recursive: true });
    leases = await prepareTaskDir(local.workDir.taskDir, task, runtime.cache, signal);
    if (runtime.images !== undefined && task.image !== undefined)
      await runtime.images.prepare(task.image, signal);
    signal.throwIfAborted();
    local.running();
    const onEvent = (event: WorkerEvent): void => {
      if (event.type !== 'container:started') return;
      local.started();
      runtime.send({ type: 'task:started', key: local.key, attempt: local.attempt });
      const time = reservation.limits.time;
      if (time !== undefined) {
        deadline = setTimeout(() => {
          logger.warn('task outlived its time limit; aborting it', { timeLimit: formatTime(time) });
          local.stop('deadline');
        }, deadlineMs(time));
      }
    };
    const execution = runtime.worker.execute(local.workDir.taskDir, local.workDir.resultDir, {
      limits: { ...reservation.limits, gpus: reservation.limits.gpus ?? 0 },
      pull: runtime.images === undefined && options.pull,
      tempDir: local.workDir.jailDir,
      outputLimitBytes: options.outputLimitBytes,
      // The task dir was made from what the server sent: no link in it leads anywhere.
      shouldFollowLinks: false,
      signal,
      onEvent,
      containerNamePrefix: options.containerNamePrefix,
      labels: { [FOREMAN_LABEL]: options.id },
    });
    return await settleOrGiveUp(execution, signal);
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(deadline);
    for (const lease of leases) lease.release();
    unpinImage?.();
  }
}

/** A run the foreman stopped: handed back, dropped, or (past its deadline) failed. */
async function reportStopped(
  runtime: ForemanRuntime,
  local: LocalTask,
  timeSeconds: number,
  logger: Logger,
): Promise<void> {
  const cause = local.stopCause;
  if (cause === 'deadline') {
    await removeWorkDir(local.workDir.root, logger);
    reportFailure(
      runtime,
      local,
      `the task outlived its time limit of ${formatTime(timeSeconds)} by more than the foreman's grace (10 s + 10 %); the foreman aborted it`,
    );
    return;
  }
  logger.info('task stopped', { cause });
  // Not started and stopped by this foreman: hand it straight back to the queue.
  if (cause === 'stopping' && !local.isStarted)
    runtime.send({
      type: 'task:rejected',
      key: local.key,
      attempt: local.attempt,
      reason: 'the foreman is stopping',
      isTransient: true,
    });
  await removeWorkDir(local.workDir.root, logger);
  forget(runtime, local);
}

/** A run that could not be had: sent back to the queue, or failed (see classifyRunError). */
async function reportError(
  runtime: ForemanRuntime,
  local: LocalTask,
  error: unknown,
  logger: Logger,
): Promise<void> {
  await removeWorkDir(local.workDir.root, logger);
  if (diskFullCode(error) !== undefined) {
    // Failed, not handed back: a task filling the disk would only fill the next foreman's.
    runtime.disk.markFull();
    reportFailure(runtime, local, diskFullReason(String(error)));
    return;
  }
  const failure = classifyRunError(error, local.isStarted);
  if (failure.kind === 'fail') {
    reportFailure(runtime, local, failure.reason);
    return;
  }
  logger.warn('task handed back', { reason: failure.reason });
  runtime.send({
    type: 'task:rejected',
    key: local.key,
    attempt: local.attempt,
    reason: failure.reason,
  });
  forget(runtime, local);
}

/** The worker's answer; after an abort, at most ABORT_SETTLE_MS more (a hung Docker call must not hang the report). */
async function settleOrGiveUp(
  execution: Promise<ResultSpec>,
  signal: AbortSignal,
): Promise<Outcome> {
  const settled: Promise<Outcome> = execution.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<Outcome>((resolve) => {
    const arm = (): void => {
      timer = setTimeout(
        () => resolve({ error: new Error('the worker did not stop within 30 s of the abort') }),
        ABORT_SETTLE_MS,
      );
    };
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  });
  try {
    return await Promise.race([settled, givenUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** The failure of a task that filled the foreman's temp disk: `disk_full` first, then why. */
function diskFullReason(detail: string): string {
  return `disk_full: the foreman's temp disk filled up while the task ran (${detail})`;
}
