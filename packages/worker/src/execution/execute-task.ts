import { randomBytes } from 'node:crypto';
import { KolejkaError, type Limits, type ResultSpec } from '@kolejka/spec';
import { containerName } from '../container/spec.js';
import type { ResolvedExecuteOptions } from '../options.js';
import { writeResultDir } from '../task-files/result-dir.js';
import type { ValidTask } from '../task-files/task-input.js';
import type { ExecutionContext, TaskRun } from './context.js';
import { createAndAttach, type Attached } from './create-and-attach.js';
import { enforcedLimits } from './enforced-limits.js';
import { measure, type Outcome } from './measure.js';
import { prepareRun, type Prepared } from './prepare.js';
import { Resources } from './resources.js';
import { runToExit } from './run-to-exit.js';

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new KolejkaError('KOLEJKA_CANCELLED', 'the task was cancelled before it started');
}

/**
 * Runs one validated task to its result (reference §4.1, DESIGN decision 5) in phases that
 * each hand their product to the next: prepare (jail, parent cgroup, image, host probes),
 * create and attach, run to exit (with the host timer for the time limit), measure (exact
 * stats, termination), write the result. The run's Resources own what the phases make and
 * release it on every path.
 */
export async function executeTask(
  context: ExecutionContext,
  valid: ValidTask,
  limits: Limits,
  resultDir: string,
  options: ResolvedExecuteOptions,
): Promise<ResultSpec> {
  const { task } = valid;
  const logger = context.logger.child({ task: task.id });
  const suffix = randomBytes(4).toString('hex');
  const name = containerName(task.id, suffix, options.containerNamePrefix);
  const resources = new Resources(logger);
  const run: TaskRun = { context, task, limits, options, name, resources, logger };
  try {
    const prepared = await prepareRun(run, valid);
    throwIfCancelled(options.signal);
    const attached = await createAndAttach(run, prepared);
    throwIfCancelled(options.signal);
    const exit = await runToExit(run, attached, prepared.host.cgroup);
    const outcome = await measure(run, attached, exit, prepared.host.cgroup);
    return await writeResult(run, prepared, attached, outcome, resultDir);
  } finally {
    await resources.release();
  }
}

/** The last phase: the result directory, while the container and the cgroup go. */
async function writeResult(
  run: TaskRun,
  { jail }: Prepared,
  { capture, isStorageLimited }: Attached,
  outcome: Outcome,
  resultDir: string,
): Promise<ResultSpec> {
  const { resources, logger } = run;
  await capture.close();
  // Not needed any more: removed while the result is written.
  const removal = Promise.all([resources.removeContainer(), resources.removeCgroup()]);
  const { isSwapLimitable, ...written } = outcome;
  const enforced = enforcedLimits(run.limits, {
    isStorageLimited,
    isSwapLimitable,
    isWorkspaceLimited: jail.tmpfs,
  });
  const result = await writeResultDir(run.task, enforced.limits, jail, resultDir, {
    ...written,
    unenforcedLimits: enforced.unenforced,
    logger,
  });
  logger.debug('result written', { dir: resultDir });
  // Everything is out of the jail; the stopped container binds nothing any more.
  await Promise.all([removal, resources.removeJail()]);
  logger.debug('container removed');
  return result;
}
