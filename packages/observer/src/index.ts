// The cgroup library, and the observer server for programs that embed it. The daemon's
// command line (src/cli.ts) and its logger are not part of the library.
export type {
  Cgroup,
  CgroupCreateOptions,
  CgroupVersion,
  Cgroups,
  CgroupsOptions,
  DetectCgroups,
} from './cgroups/cgroups.js';
export { detectCgroupVersion, detectCgroups } from './cgroups/detect.js';
export type { MemoryEventCounts, MemoryEvents } from './cgroups/memory-events.js';
export { formatCpuList, parseCpuList, pickCpus } from './cgroups/cpu-list.js';
export { parseProcCgroup, pidStartTime, type ProcCgroupEntry } from './cgroups/proc.js';
export {
  createObserverServer,
  type ObserverServer,
  type ObserverServerOptions,
} from './daemon/observer-server.js';
