export { createWorker, effectiveLimits, type Worker, type WorkerOptions } from './worker.js';
export {
  countGpus,
  detectGpus,
  observerSocketExists,
  parseNvidiaSmiGpus,
  type GpuInfo,
} from './host-probes.js';
export {
  DEFAULT_CONTAINER_NAME_PREFIX,
  DEFAULT_OUTPUT_LIMIT_BYTES,
  DEFAULT_SAMPLE_INTERVAL_MS,
  type ExecuteOptions,
  type WorkerEvent,
} from './options.js';
export type {
  AttachOptions,
  ContainerCreateSpec,
  ContainerInspect,
  DockerContainer,
  DockerEngine,
  DockerInfo,
} from './docker/engine.js';
export { containerSpec, type ContainerPlan } from './container/spec.js';
export {
  decideTermination,
  signalName,
  type ExitFacts,
  type KillReason,
} from './execution/termination.js';
export { pythonGlob, type GlobEntry, type GlobFs } from './task-files/python-glob.js';
export { planCollect, type CollectedFile } from './task-files/collect.js';
export { formatSummary } from './summary.js';
