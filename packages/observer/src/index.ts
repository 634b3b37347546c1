export type {
  Cgroup,
  CgroupCreateOptions,
  CgroupVersion,
  Cgroups,
  CgroupsOptions,
  DetectCgroups,
} from './cgroups/cgroups.js';
export { detectCgroupVersion, detectCgroups } from './cgroups/detect.js';
export { formatCpuList, parseCpuList, pickCpus } from './cgroups/cpu-list.js';
export { parseProcCgroup, pidStartTime, type ProcCgroupEntry } from './cgroups/proc.js';
export {
  createObserverServer,
  statusOfError,
  type ObserverServer,
  type ObserverServerOptions,
} from './daemon/observer-server.js';
export {
  SESSION_CGROUP_PREFIX,
  SessionManager,
  type SessionManagerOptions,
} from './daemon/session-manager.js';
export { PROCESSES_LEAF } from './daemon/processes-leaf.js';
export type { Session, SessionCloseReason } from './daemon/session.js';
export { OBSERVER_COMMANDS, type ObserverCommand } from './daemon/commands.js';
export { JSON_CONTENT_TYPE, OBSERVER_SERVER_HEADER } from './protocol/http-reply.js';
export { commandOfTarget } from './protocol/observer-request.js';
export { peerCredentialsOf, type PeerCredentials } from './native/peer-credentials.js';
export {
  createDaemonLogger,
  type DaemonLogger,
  type DaemonLoggerOptions,
} from './daemon-logger.js';
export {
  LOG_LEVELS,
  logLevelFromEnv,
  resolveObserverDaemonOptions,
  type LogLevel,
  type ObserverDaemonOptions,
  type ResolvedObserverDaemonOptions,
} from './options.js';
