import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Cgroups } from '@kolejka/observer';
import { formatCpuList, pickCpus } from '@kolejka/observer';
import {
  KolejkaError,
  emptyStats,
  dumpStats,
  keepMaxima,
  parseStats,
  writeResult,
  type Limits,
  type Logger,
  type ResultSpec,
  type Stats,
  type Termination,
} from '@kolejka/spec';
import { copyCollected, planCollect } from './collect.js';
import { containerName, containerSpec, chooseGpus } from './container-spec.js';
import { killContainer } from './container-kill.js';
import { dockerDuration, dockerTimeMs, parseDockerTime } from './docker-time.js';
import {
  dockerMessage,
  type ContainerInspect,
  type DockerContainer,
  type DockerEngine,
  type DockerInfo,
} from './docker-engine.js';
import { observerSocketExists } from './host-probes.js';
import { hasImage, isMissingImage, pullImage } from './image.js';
import { createJail, removeJail, type Jail } from './jail.js';
import type { ResolvedExecuteOptions } from './options.js';
import { OutputCapture, execFailureFromStderr } from './output-capture.js';
import { copyTaskResultFiles, listResultFiles, moveInto } from './result-files.js';
import { TaskCgroup, type CgroupDriver } from './task-cgroup.js';
import type { ValidTask } from './task-input.js';
import { decideTermination, type KillReason } from './termination.js';

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

/** Start failures that are the task's fault (a bad command), with the shell's status codes. */
function execFailureStatus(message: string): number | undefined {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|exec format error|is a directory|not a directory/i.test(message))
    return 126;
  return undefined;
}

function dockerError(what: string, error: unknown): KolejkaError {
  if (error instanceof KolejkaError) return error;
  return new KolejkaError('KOLEJKA_DOCKER', `${what}: ${dockerMessage(error)}`, { cause: error });
}

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

/** Resources of one run, released in a safe order whatever happened. */
class Resources {
  jail: Jail | undefined;
  container: DockerContainer | undefined;
  cgroup: TaskCgroup | undefined;
  private containerRemoval: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Removes the container (killing it if needed), then its parent cgroup. */
  removeContainer(): Promise<void> {
    this.containerRemoval ??= (async () => {
      const container = this.container;
      if (container !== undefined) {
        try {
          await container.remove({ force: true, v: true });
        } catch (error) {
          if (!/no such container|404/i.test(dockerMessage(error))) {
            this.logger.error('cannot remove the container', {
              container: container.id,
              error: dockerMessage(error),
            });
          }
        }
      }
      await this.cgroup?.remove();
    })();
    return this.containerRemoval;
  }

  async release(): Promise<void> {
    await Promise.all([
      this.removeContainer(),
      this.jail ? removeJail(this.jail, this.logger) : undefined,
    ]);
  }
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
  const name = containerName(task.id, randomBytes(4).toString('hex'));
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
    });
    const container = await createContainer(docker, spec, options.pull, logger);
    resources.container = container;
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
      logger.debug('container stopped', { status: waited.StatusCode });
      // Independent reads after the stop, side by side; then the container can go.
      const [inspected, measured] = await Promise.all([
        container.inspect().catch(() => undefined),
        resources.cgroup ? resources.cgroup.finish() : { stats: emptyStats(), oomKills: 0 },
        finishOutput(drained, run),
      ]);
      void resources.removeContainer();
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
    // The container is not needed any more: remove it while the result is written.
    const removal = resources.removeContainer();
    const result = await writeResultDir(task, limits, jail, resultDir, {
      exitCode,
      stats,
      termination,
      logger,
    });
    logger.debug('result written', { dir: resultDir });
    await removal;
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

/** Host-side preparations that do not depend on the jail: cgroup, CPUs, GPUs, storage, observer. */
async function prepareHost(
  context: ExecutionContext,
  limits: Limits,
  name: string,
  resources: Resources,
  logger: Logger,
): Promise<{
  cgroupParent?: string;
  cpuset?: string;
  gpuIds?: string[];
  storageSupported: boolean;
  observerSocket: boolean;
}> {
  const { cgroups } = context;
  const needInfo = cgroups !== undefined || limits.storage !== undefined;
  const [info, observerSocket] = await Promise.all([
    needInfo ? context.info() : undefined,
    observerSocketExists(),
  ]);
  if (!observerSocket)
    logger.warn('the observer is not running: its socket is not bound into the container');
  const out: Awaited<ReturnType<typeof prepareHost>> = { storageSupported: false, observerSocket };
  const [cgroup, available] = await Promise.all([
    cgroups
      ? TaskCgroup.create(cgroups, cgroupDriver(info), name.replace(/^kolejka-worker-/, ''), logger)
      : undefined,
    limits.cpus !== undefined ? availableCpus(cgroups) : undefined,
  ]);
  if (cgroup) {
    resources.cgroup = cgroup;
    out.cgroupParent = cgroup.dockerParent;
  }
  if (limits.cpus !== undefined && available !== undefined) {
    out.cpuset = formatCpuList(pickCpus(available, limits.cpus, limits.cpus_offset ?? 0));
  }
  if (limits.gpus !== undefined && limits.gpus > 0) {
    const { countGpus } = await import('./host-probes.js');
    const count = await countGpus();
    if (count === 0) {
      throw new KolejkaError(
        'KOLEJKA_UNAVAILABLE',
        `the task gets ${limits.gpus} GPU(s) but nvidia-smi reports none`,
      );
    }
    out.gpuIds = chooseGpus(count, limits.gpus, limits.gpus_offset ?? 0);
  }
  if (limits.storage !== undefined) {
    out.storageSupported = storageQuotaPossible(info);
    if (!out.storageSupported) {
      logger.warn(
        'the storage limit is not enforced: it needs the overlay2 driver on xfs with pquota',
        {
          driver: info?.Driver,
        },
      );
    }
  }
  return out;
}

function cgroupDriver(info: DockerInfo | undefined): CgroupDriver {
  return info?.CgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs';
}

async function availableCpus(cgroups: Cgroups | undefined): Promise<number[]> {
  if (cgroups) return cgroups.availableCpus('/');
  const os = await import('node:os');
  return os.cpus().map((_, index) => index);
}

/** Docker enforces `--storage-opt size` only for overlay2 on xfs (mounted with pquota). */
export function storageQuotaPossible(info: DockerInfo | undefined): boolean {
  if (info?.Driver !== 'overlay2') return false;
  const backing = info.DriverStatus?.find(([key]) => key === 'Backing Filesystem')?.[1];
  return backing === 'xfs';
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

/** A container from its start to its stop: start, deadline, kills. */
class ContainerRun {
  killedFor: KillReason | undefined;
  stream: NodeJS.ReadWriteStream | undefined;
  private pid: number | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private state: 'created' | 'running' | 'stopped' = 'created';

  constructor(
    private readonly container: DockerContainer,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<{ hostStartMs: number; failed?: { exitCode: number; message: string } }> {
    try {
      await this.container.start();
    } catch (error) {
      this.state = 'stopped';
      const message = dockerMessage(error);
      const status = execFailureStatus(message);
      if (status === undefined) throw dockerError('cannot start the container', error);
      return {
        hostStartMs: Date.now(),
        failed: { exitCode: status, message: `the command could not be started: ${message}` },
      };
    }
    const hostStartMs = Date.now();
    this.state = 'running';
    // A kill asked for while start() was in flight (e.g. output flooding at once) happens now.
    if (this.killedFor !== undefined) void killContainer(this.container, this.pid);
    return { hostStartMs };
  }

  /**
   * Kills at `timeSeconds` after the start: armed at once from the host's view of the start,
   * then re-armed from Docker's own StartedAt (a few ms earlier) once inspected.
   */
  armDeadline(hostStartMs: number, timeSeconds: number): void {
    const arm = (fromMs: number): void => {
      if (this.state !== 'running') return;
      clearTimeout(this.deadline);
      this.deadline = setTimeout(
        () => this.kill('time_limit'),
        Math.max(0, fromMs + timeSeconds * 1000 - Date.now()),
      );
    };
    arm(hostStartMs);
    this.container.inspect().then(
      (inspected) => {
        this.pid = inspected.State.Pid;
        const started = parseDockerTime(inspected.State.StartedAt);
        if (started !== undefined) arm(Math.min(dockerTimeMs(started), hostStartMs));
      },
      () => undefined,
    );
  }

  kill(reason: KillReason): void {
    if (this.state === 'stopped' || this.killedFor !== undefined) return;
    this.killedFor = reason;
    this.logger.info('killing the container', { reason });
    if (this.state === 'running') void killContainer(this.container, this.pid);
  }

  stopped(): void {
    this.state = 'stopped';
    clearTimeout(this.deadline);
  }
}

async function writeResultDir(
  task: ValidTask['task'],
  limits: Limits,
  jail: Jail,
  resultDir: string,
  outcome: { exitCode: number; stats: Stats; termination: Termination; logger: Logger },
): Promise<ResultSpec> {
  const { logger } = outcome;
  await mkdir(resultDir, { recursive: true });
  await copyTaskResultFiles(jail.resultDir, resultDir, logger);
  await copyCollected(resultDir, await planCollect(jail.taskDir, task.collect, logger), logger);
  if (task.stdout !== undefined) {
    await moveInto(path.join(jail.outputDir, 'stdout'), resultDir, task.stdout).catch(
      (error: unknown) => logger.warn('cannot store stdout', { error: (error as Error).message }),
    );
  }
  if (task.stderr !== undefined && task.stderr !== task.stdout) {
    await moveInto(path.join(jail.outputDir, 'stderr'), resultDir, task.stderr).catch(
      (error: unknown) => logger.warn('cannot store stderr', { error: (error as Error).message }),
    );
  }
  const result: ResultSpec = {
    id: task.id,
    tags: [],
    limits,
    // As it reads back from kolejka_result.json (microseconds, the original's corrections).
    stats: parseStats(dumpStats(keepMaxima(outcome.stats))),
    result: outcome.exitCode,
    files: await listResultFiles(resultDir),
    termination: outcome.termination,
  };
  if (task.stdout !== undefined) result.stdout = task.stdout;
  if (task.stderr !== undefined) result.stderr = task.stderr;
  await writeResult(resultDir, result, { mode: 0o640 });
  return result;
}
