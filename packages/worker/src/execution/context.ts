import type { Cgroups } from '@kolejka/observer';
import type { Limits, Logger } from '@kolejka/spec';
import type { DockerEngine, DockerInfo } from '../docker/engine.js';
import type { ResolvedExecuteOptions } from '../options.js';
import type { ValidTask } from '../task-files/task-input.js';
import type { Resources } from './resources.js';

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

/** The fixed facts of one run, handed from phase to phase. */
export interface TaskRun {
  context: ExecutionContext;
  task: ValidTask['task'];
  /** Effective limits (task ∩ worker). */
  limits: Limits;
  options: ResolvedExecuteOptions;
  /** The container's name. */
  name: string;
  /** Owns everything the run makes; the phases hand what they make to it. */
  resources: Resources;
  logger: Logger;
}
