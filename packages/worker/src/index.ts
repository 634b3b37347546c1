export { createWorker, type Worker, type WorkerOptions } from './worker.js';
export {
  DEFAULT_CONTAINER_NAME_PREFIX,
  DEFAULT_OUTPUT_LIMIT_BYTES,
  type ExecuteOptions,
  type WorkerEvent,
} from './options.js';
export { detectGpus, type GpuInfo } from './host-probes.js';
export { storageQuotaPossible } from './execution/host-preparation.js';
export { DockerClient, type DockerClientOptions, type DockerEndpoint } from './docker/client.js';
export { openDockerEngine, type OpenedEngine } from './docker/open-engine.js';
export type { DockerEngine } from './docker/engine.js';
export { dockerMessage, dockerStatusCode } from './docker/api-error.js';
export { inspectImage, pullImage, type PullOptions } from './docker/image.js';
export { withDefaultTag } from './docker/image-name.js';
