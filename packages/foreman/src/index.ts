export {
  autoTags,
  cpuModelTag,
  cpuTags,
  detectAutoTags,
  gpuModelTag,
  gpuTags,
  type AutoTagsInput,
} from './auto-tags.js';
export { createForeman, type Foreman, type ForemanDeps, type ForemanStatus } from './foreman.js';
export {
  DEFAULT_BLOB_CACHE_BYTES,
  DEFAULT_TEMP_DIR,
  FOREMAN_ENV_NAMES,
  FOREMAN_VERSION,
  defaultForemanId,
  readForemanEnv,
  resolveForemanOptions,
  type ForemanEnv,
  type ForemanOptions,
  type ResolvedForemanOptions,
} from './options.js';
export { resolveCapacity } from './capacity.js';
export { detectMachine, type MachineProbes, type MachineResources } from './machine.js';
export { CapacityLedger, type Reservation, type ReserveOutcome } from './capacity-ledger.js';
export { BlobCache, type BlobCacheOptions, type BlobLease } from './blob-cache.js';
export { ImageBudget, type ImageBudgetOptions } from './image-budget.js';
export { createDockerHost, type DockerHost, type LocalImage } from './docker-host.js';
export { ServerConnection, type ConnectionHandlers } from './server-connection.js';
export { runDaemon, type DaemonArguments } from './daemon.js';
export {
  DEADLINE_GRACE_MS,
  DEADLINE_GRACE_RATIO,
  FOREMAN_LABEL,
  deadlineMs,
} from './task-runner.js';
export type { ServerFiles } from './runtime.js';
