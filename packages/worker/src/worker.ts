import { TaskCgroup, taskCgroupName } from './container/cgroup.js';
import type { Cgroups } from '@kolejka/observer';
import {
  KolejkaError,
  combineLimits,
  noopLogger,
  normalizeLimits,
  type Limits,
  type Logger,
  type ResultSpec,
} from '@kolejka/spec';
import type { DockerEngine, DockerInfo } from './docker/engine.js';
import { openDockerEngine, type OpenedEngine } from './docker/open-engine.js';
import { executeTask } from './execution/execute-task.js';
import { countGpus } from './host-probes.js';
import {
  DEFAULT_SAMPLE_INTERVAL_MS,
  resolveExecuteOptions,
  type ExecuteOptions,
} from './options.js';
import { checkResultDir, readValidTask } from './task-files/task-input.js';

export interface WorkerOptions {
  /**
   * The Docker engine: a dockerode instance fits. Default: a built-in minimal Engine API
   * client on DOCKER_HOST (unix:// or tcp://) or /var/run/docker.sock, or dockerode when
   * DOCKER_HOST needs TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) or ssh.
   */
  docker?: DockerEngine;
  /**
   * The cgroup library (@kolejka/observer) used for exact stats. Default: detected at
   * /sys/fs/cgroup on first use. `null`: no cgroup stats (wall time only), e.g. without root.
   */
  cgroups?: Cgroups | null;
  logger?: Logger;
  /** How often the container's own cgroup is sampled. Default 100 ms. */
  sampleIntervalMs?: number;
}

export interface Worker {
  /**
   * Runs the task in `taskDir` and writes its result to `resultDir` (which must be new or
   * empty). Resolves with the result once it is written, whatever the task's exit code;
   * rejects with a KolejkaError (nothing written) when the task is invalid
   * (KOLEJKA_VALIDATION), the image cannot be had or Docker fails (KOLEJKA_DOCKER), or it
   * was cancelled before the container started (KOLEJKA_CANCELLED).
   */
  execute(taskDir: string, resultDir: string, options?: ExecuteOptions): Promise<ResultSpec>;
  /**
   * Removes the parent cgroups (in every v1 hierarchy) of containers an earlier process left
   * running and that are removed now (by name): nobody else would remove them.
   */
  removeLeftoverCgroups(containerNames: readonly string[]): Promise<void>;
  /** Cancels running executions and waits for their cleanup. Idempotent. */
  close(): Promise<void>;
}

/** The limits a task runs with: task ∩ worker, with the worker's placements (reference §3.2). */
export async function effectiveLimits(
  taskLimits: Limits,
  workerLimits: Limits,
  gpuCount: () => Promise<number> = countGpus,
): Promise<Limits> {
  const worker = { ...workerLimits };
  // As the original: the worker's gpus default to what nvidia-smi reports. Only needed
  // when the task asks for GPUs (otherwise "absent wins" and the answer is none anyway).
  if (worker.gpus === undefined && taskLimits.gpus !== undefined) worker.gpus = await gpuCount();
  const combined = combineLimits(taskLimits, worker);
  if (workerLimits.cpus_offset !== undefined) combined.cpus_offset = workerLimits.cpus_offset;
  if (workerLimits.gpus_offset !== undefined && combined.gpus !== undefined)
    combined.gpus_offset = workerLimits.gpus_offset;
  return normalizeLimits(combined);
}

async function defaultCgroups(logger: Logger): Promise<Cgroups | undefined> {
  try {
    const { detectCgroups } = await import('@kolejka/observer');
    return await detectCgroups({ logger });
  } catch (error) {
    logger.warn('no cgroup hierarchy: stats are limited to the wall time', {
      error: (error as Error).message,
    });
    return undefined;
  }
}

/** A worker: runs task directories in Docker (see README for the whole contract). */
export function createWorker(options: WorkerOptions = {}): Worker {
  const logger = options.logger ?? noopLogger;
  let docker: Promise<OpenedEngine> | undefined;
  let cgroups: Promise<Cgroups | undefined> | undefined;
  let info: Promise<DockerInfo> | undefined;
  let gpus: Promise<number> | undefined;
  const running = new Map<AbortController, Promise<unknown>>();
  let closed = false;

  const getDocker = async (): Promise<DockerEngine> =>
    (
      await (docker ??= options.docker
        ? Promise.resolve({ engine: options.docker, close: () => undefined })
        : openDockerEngine())
    ).engine;
  const getCgroups = (): Promise<Cgroups | undefined> =>
    (cgroups ??=
      options.cgroups === null
        ? Promise.resolve(undefined)
        : options.cgroups
          ? Promise.resolve(options.cgroups)
          : defaultCgroups(logger));

  async function execute(
    taskDir: string,
    resultDir: string,
    executeOptions: ExecuteOptions = {},
  ): Promise<ResultSpec> {
    if (closed) throw new KolejkaError('KOLEJKA_UNAVAILABLE', 'the worker is closed');
    const controller = new AbortController();
    const outer = executeOptions.signal;
    const forward = (): void => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    outer?.addEventListener('abort', forward, { once: true });
    const resolved = resolveExecuteOptions({ ...executeOptions, signal: controller.signal });
    const run = (async () => {
      // What the first run of a worker sets up (the engine client, the cgroup library, Docker's
      // info) starts now, beside the validation: Docker answers while the task is checked.
      const engineReady = getDocker();
      const cgroupsReady = getCgroups();
      const getInfo = (engine: DockerEngine): Promise<DockerInfo> => (info ??= engine.info());
      void Promise.all([engineReady, cgroupsReady])
        .then(([engine, found]) => (found ? getInfo(engine) : undefined))
        .catch(() => undefined); // a failure is reported where the info is used
      const valid = await readValidTask(taskDir, {
        shouldFollowLinks: resolved.shouldFollowLinks,
        logger,
      });
      await checkResultDir(resultDir, valid.taskDir);
      const limits = await effectiveLimits(
        valid.task.limits,
        resolved.limits,
        () => (gpus ??= countGpus()),
      );
      const engine = await engineReady;
      const context = {
        docker: engine,
        cgroups: await cgroupsReady,
        info: () => getInfo(engine),
        logger,
        sampleIntervalMs: options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
      };
      return executeTask(context, valid, limits, resultDir, resolved);
    })();
    running.set(controller, run);
    try {
      return await run;
    } finally {
      running.delete(controller);
      outer?.removeEventListener('abort', forward);
    }
  }

  async function close(): Promise<void> {
    closed = true;
    for (const controller of running.keys()) controller.abort();
    await Promise.allSettled([...running.values()]);
    if (docker !== undefined) (await docker.catch(() => undefined))?.close();
  }

  async function removeLeftoverCgroups(containerNames: readonly string[]): Promise<void> {
    const found = await getCgroups();
    if (found === undefined) return;
    for (const name of containerNames) {
      const cgroup = TaskCgroup.plan(found, 'cgroupfs', taskCgroupName(name), logger);
      await cgroup.remove();
    }
  }

  return { execute, removeLeftoverCgroups, close };
}
