export { createForeman, type Foreman, type ForemanDeps, type ForemanStatus } from './foreman.js';
export {
  readForemanEnv,
  resolveForemanOptions,
  type ForemanEnv,
  type ForemanOptions,
  type ResolvedForemanOptions,
} from './options.js';
export type { DockerHost, LocalImage } from './docker/docker-host.js';
export type { ServerFiles } from './tasks/runtime.js';
