import os from 'node:os';
import { KolejkaError, type Limits } from '@kolejka/spec';

/** Default cap of each captured output file (stdout, stderr): 64 MiB. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;
/** How often the container's own cgroup is sampled (failure counters, OOM kills). */
export const DEFAULT_SAMPLE_INTERVAL_MS = 100;

/** Something that happened while a task ran, for callers that report progress. */
export type WorkerEvent =
  | { type: 'container:created'; containerId: string; name: string }
  | { type: 'container:started'; containerId: string; name: string; startedAt: Date }
  | { type: 'container:exited'; containerId: string; name: string; exitCode: number };

export interface ExecuteOptions {
  /** The worker's own limits, combined with the task's (smaller wins; `cpus_offset` and
   * `gpus_offset` given here are placements and replace the task's). `gpus` absent here
   * means "the GPUs nvidia-smi reports". Default: none. */
  limits?: Limits;
  /** Pull the image even when it is present locally. Default false (pull only when missing). */
  pull?: boolean;
  /** Where the per-task jail directory is made. Default KOLEJKA_WORKER_TEMP, else the OS temp dir. */
  tempDir?: string;
  /** Cap of each of stdout and stderr (one cap when they share a file). Default 64 MiB. */
  outputLimitBytes?: number;
  /** Aborting kills the container; the result says `cancelled`. */
  signal?: AbortSignal;
  onEvent?: (event: WorkerEvent) => void;
  /** Move the task's files instead of copying them, then delete the task dir (as the original). */
  consume?: boolean;
  /**
   * Follow symbolic links in the task dir wherever they lead, as the original worker: a
   * user's task dir is theirs (kolejka-judge writes links to absolute paths). Default true;
   * a foreman passes false, since its task dirs are made from what a server sent.
   * Links that task code made in the result dir are never followed.
   */
  shouldFollowLinks?: boolean;
  /** Start of the container's name (the task id and a random suffix follow). Default
   * `kolejka-worker-`; a foreman uses its own to tell its containers apart. */
  containerNamePrefix?: string;
  /** Extra container labels, e.g. the foreman that ran it (to find orphans after a crash). */
  labels?: Record<string, string>;
}

export interface ResolvedExecuteOptions {
  limits: Limits;
  pull: boolean;
  tempDir: string;
  outputLimitBytes: number;
  signal?: AbortSignal;
  onEvent: (event: WorkerEvent) => void;
  consume: boolean;
  shouldFollowLinks: boolean;
  containerNamePrefix: string;
  labels: Record<string, string>;
}

/** The default start of task container names. */
export const DEFAULT_CONTAINER_NAME_PREFIX = 'kolejka-worker-';

export function resolveExecuteOptions(
  options: ExecuteOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedExecuteOptions {
  const outputLimitBytes = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  if (!Number.isInteger(outputLimitBytes) || outputLimitBytes < 0) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `outputLimitBytes must be a non-negative integer, not ${outputLimitBytes}`,
    );
  }
  const containerNamePrefix = options.containerNamePrefix ?? DEFAULT_CONTAINER_NAME_PREFIX;
  // Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(containerNamePrefix)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `containerNamePrefix ${JSON.stringify(containerNamePrefix)} is not a valid start of a Docker container name (letters, digits, _ . -)`,
    );
  }
  return {
    limits: { ...(options.limits ?? {}) },
    pull: options.pull ?? false,
    tempDir: options.tempDir ?? (env.KOLEJKA_WORKER_TEMP || os.tmpdir()),
    outputLimitBytes,
    ...(options.signal ? { signal: options.signal } : {}),
    onEvent: options.onEvent ?? (() => {}),
    consume: options.consume ?? false,
    shouldFollowLinks: options.shouldFollowLinks ?? true,
    containerNamePrefix,
    labels: { ...(options.labels ?? {}) },
  };
}
