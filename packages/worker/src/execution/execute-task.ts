import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Cgroups } from '@kolejka/observer';
import {
  KolejkaError,
  emptyStats,
  type Limits,
  type Logger,
  type ResultSpec,
  type Stats,
  type Termination,
} from '@kolejka/spec';
import { containerName, containerSpec } from '../container/spec.js';
import { ContainerRun } from '../container/run.js';
import { dockerDuration } from '../docker/time.js';
import {
  dockerMessage,
  type ContainerInspect,
  type DockerContainer,
  type DockerEngine,
  type DockerInfo,
} from '../docker/engine.js';
import { dockerError } from '../docker/errors.js';
import { Resources } from './resources.js';
import { prepareHost } from './host-preparation.js';
import { hasImage, isMissingImage, pullImage } from '../docker/image.js';
import { createJail } from '../task-files/jail.js';
import type { ResolvedExecuteOptions } from '../options.js';
import { OutputCapture, execFailureFromStderr } from './output-capture.js';
import { writeResultDir } from '../task-files/result-dir.js';
import type { ValidTask } from '../task-files/task-input.js';
import { decideTermination } from './termination.js';

/** What an execution needs from its worker (shared, cached per worker). */
export interface ExecutionContext {
  docker: DockerEngine;
  /** The cgroup library, or undefined when stats come from Docker only. */
  cgroups: Cgroups | undefined;
  /** Docker's info, fetched once per worker. */
  info: () => Promise<DockerInfo>;
  logger: Logger;
  sampleIntervalMs: number;
}

/** How long the output may keep flowing after the container stopped before it is cut. */
const OUTPUT_DRAIN_TIMEOUT_MS = 5_000;

function cancelledError(): KolejkaError {
  return new KolejkaError('KOLEJKA_CANCELLED', 'the task was cancelled before it started');
}

/** Waits for every promise; throws the first failure only after all have settled. */
async function settleAll<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((one) => one.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((one) => (one as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * Runs one validated task to its result (reference §4.1, DESIGN decision 5): jail,
 * parent cgroup, image and host probes in parallel; create, attach, start; a host timer
 * for the time limit; exit; exact stats; result files; cleanup on every path.
 */
export async function executeTask(
  context: ExecutionContext,
  valid: ValidTask,
  limits: Limits,
  resultDir: string,
  options: ResolvedExecuteOptions,
): Promise<ResultSpec> {
  const { docker } = context;
  const { task } = valid;
  const logger = context.logger.child({ task: task.id });
  const name = containerName(task.id, randomBytes(4).toString('hex'), options.containerNamePrefix);
  const resources = new Resources(logger);
  try {
    const [jail, setup] = await settleAll([
      createJail({
        tempDir: options.tempDir,
        files: valid.files,
        ...(limits.workspace !== undefined ? { workspaceBytes: limits.workspace } : {}),
        consume: options.consume,
        logger,
      }).then(async (created) => {
        resources.jail = created;
        if (options.consume) await rm(valid.taskDir, { recursive: true, force: true });
        return created;
      }),
      prepareHost(context, limits, name, resources, logger),
      options.pull
        ? hasImage(docker, task.image).then((local) => pullImage(docker, task.image, local))
        : Promise.resolve(),
    ] as const);
    if (options.signal?.aborted) throw cancelledError();
    logger.debug('task prepared', { jail: jail.root });

    const hasStdin = task.stdin !== undefined;
    const spec = containerSpec({
      name,
      task,
      limits,
      taskDir: jail.taskDir,
      resultDir: jail.resultDir,
      ...setup,
      hasStdin,
      // stderr is always attached: when docker-init cannot exec the command, it says why there.
      attachOutput: true,
      labels: options.labels,
    });
    // The parent cgroup is made while Docker creates the container: only the start needs it.
    const [container] = await settleAll([
      createContainer(docker, spec, options.pull, logger).then((created) => {
        resources.container = created;
        return created;
      }),
      resources.cgroup ? resources.cgroup.make() : Promise.resolve(),
    ] as const);
    logger.debug('container created', { container: container.id, name });
    options.onEvent({ type: 'container:created', containerId: container.id, name });

    const run = new ContainerRun(container, logger);
    const capture = new OutputCapture({
      ...(task.stdout !== undefined ? { stdoutFile: path.join(jail.outputDir, 'stdout') } : {}),
      ...(task.stderr !== undefined
        ? {
            stderrFile: path.join(
              jail.outputDir,
              task.stderr === task.stdout ? 'stdout' : 'stderr',
            ),
          }
        : {}),
      limitBytes: options.outputLimitBytes,
      onLimit: () => run.kill('output_limit'),
    });
    const stream = await container
      .attach({
        stream: true,
        hijack: true,
        stdin: hasStdin,
        stdout: task.stdout !== undefined,
        stderr: true,
      })
      .catch((error: unknown) => {
        throw dockerError('cannot attach to the container', error);
      });
    run.stream = stream;
    const drained = capture.consume(stream as unknown as Readable);
    if (hasStdin) {
      const source = path.join(jail.taskDir, task.stdin as string);
      void pipeline(createReadStream(source), stream, { end: true }).catch((error: unknown) => {
        logger.debug('stdin stopped early', { error: (error as Error).message });
      });
    }

    if (options.signal?.aborted) throw cancelledError();
    const started = await run.start();
    let exitCode: number;
    let state: ContainerInspect['State'] | undefined;
    let stats: Stats = emptyStats();
    let termination: Termination;
    if (started.failed !== undefined) {
      exitCode = started.failed.exitCode;
      termination = { reason: 'start_failed', message: started.failed.message };
      stats.time = 0;
      run.stream?.end();
    } else {
      options.onEvent({
        type: 'container:started',
        containerId: container.id,
        name,
        startedAt: new Date(started.hostStartMs),
      });
      logger.debug('container started', { container: container.id });
      resources.cgroup?.startSampling(container.id, context.sampleIntervalMs);
      const onAbort = (): void => run.kill('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      if (limits.time !== undefined) run.armDeadline(started.hostStartMs, limits.time);
      let waited: { StatusCode: number };
      try {
        waited = await container.wait({ condition: 'not-running' });
      } catch (error) {
        throw dockerError('lost the container while waiting for it', error);
      } finally {
        run.stopped();
        options.signal?.removeEventListener('abort', onAbort);
      }
      resources.containerStopped = true;
      logger.debug('container stopped', { status: waited.StatusCode });
      // Independent reads after the stop, side by side. The container goes as soon as Docker's
      // view of it is read and its output drained, the parent cgroup once its stats are read:
      // the removals overlap the rest of the run instead of following it.
      const inspection = container.inspect().catch(() => undefined);
      const output = finishOutput(drained, run);
      void Promise.all([inspection, output]).then(() => resources.removeContainer());
      const measuring = resources.cgroup
        ? resources.cgroup.finish()
        : Promise.resolve({ stats: emptyStats(), oomKills: 0 });
      void measuring.then(() => resources.removeCgroup());
      const [inspected, measured] = await Promise.all([inspection, measuring, output]);
      state = inspected?.State;
      exitCode = state?.ExitCode ?? waited.StatusCode;
      options.onEvent({ type: 'container:exited', containerId: container.id, name, exitCode });
      stats = measured.stats;
      stats.time =
        (state ? dockerDuration(state.StartedAt, state.FinishedAt) : undefined) ??
        (Date.now() - started.hostStartMs) / 1000;
      const execFailure = execFailureFromStderr(exitCode, capture.stderrHead);
      termination = execFailure
        ? { reason: 'start_failed', message: `the command could not be started: ${execFailure}` }
        : decideTermination({
            exitCode,
            ...(run.killedFor !== undefined ? { killedFor: run.killedFor } : {}),
            oomKilled: (state?.OOMKilled ?? false) || measured.oomKills > 0,
            oomKills: measured.oomKills,
            ...(limits.time !== undefined ? { timeLimitSeconds: limits.time } : {}),
            outputLimitBytes: options.outputLimitBytes,
          });
    }
    await capture.close();
    // Not needed any more: removed while the result is written.
    const removal = Promise.all([resources.removeContainer(), resources.removeCgroup()]);
    const result = await writeResultDir(task, limits, jail, resultDir, {
      exitCode,
      stats,
      termination,
      logger,
    });
    logger.debug('result written', { dir: resultDir });
    // Everything is out of the jail; the stopped container binds nothing any more.
    await Promise.all([removal, resources.removeJail()]);
    logger.debug('container removed');
    return result;
  } finally {
    await resources.release();
  }
}

async function finishOutput(drained: Promise<void>, run: ContainerRun): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      run.stream?.end();
      (run.stream as unknown as { destroy?: () => void }).destroy?.();
      resolve();
    }, OUTPUT_DRAIN_TIMEOUT_MS);
  });
  await Promise.race([drained, timeout]);
  clearTimeout(timer);
}

async function createContainer(
  docker: DockerEngine,
  spec: ReturnType<typeof containerSpec>,
  pulled: boolean,
  logger: Logger,
): Promise<DockerContainer> {
  try {
    return await docker.createContainer(spec);
  } catch (error) {
    if (isMissingImage(error) && !pulled) {
      logger.info('image missing locally; pulling it', { image: spec.Image });
      await pullImage(docker, spec.Image, false);
      return createContainer(docker, spec, true, logger);
    }
    if (spec.HostConfig.StorageOpt && /storage-opt|storageopt|pquota/i.test(dockerMessage(error))) {
      logger.warn('the storage limit is not enforced: Docker refused it', {
        error: dockerMessage(error),
      });
      delete spec.HostConfig.StorageOpt;
      return createContainer(docker, spec, pulled, logger);
    }
    throw dockerError(`cannot create the container for image ${spec.Image}`, error);
  }
}
