// The library's public API: KolejkaClient with the types of its options, methods and
// errors, and what the foreman reuses (the client's configuration, mapLimited). The CLI
// is not exported; tests import module paths.
export { KolejkaClient, type WaitForResultOptions } from './kolejka-client.js';
export type { KolejkaClientOptions, ResolvedClientOptions } from './client-options.js';
export { KolejkaServerError, isServerError } from './http/server-error.js';
export type { NewToken, RemoteBlob, RemoteResult, RemoteTask, TaskPage } from './resources.js';
export type {
  ProgressEvent,
  ProgressListener,
  ProgressOptions,
  StateProgress,
  TransferProgress,
} from './progress.js';
export type { PutBlobResult } from './blobs/blob-operations.js';
export type { TransferOptions } from './blobs/blob-transfer.js';
export type { PutTaskOptions, PutTaskResult, TaskFilter } from './tasks/task-operations.js';
export type { ExecuteOptions, ExecuteResult } from './execute.js';
export type {
  AfterPolicy,
  DependencyOptions,
  TaskGraph,
  TaskGraphEdge,
  TaskGraphNode,
  TaskInput,
} from './graph/graph-operations.js';
export type { TaskOutcome } from './events/wait-for-task.js';
export type { WebSocketFactory } from './events/events-socket.js';
export { readClientEnv, type ClientEnv, type Env } from './options.js';
export { confValue, readKolejkaConf, type KolejkaConf } from './config/kolejka-conf.js';
export { resolveClientConfig, type ClientConfig } from './config/resolve-config.js';
export { mapLimited } from './files/map-limited.js';
// Queue control (issue 12)
export type {
  QueuePause,
  QueueStatus,
  RemoteUser,
  TaskPlacement,
  UserPolicyChanges,
} from './queue/queue-operations.js';
export type {
  AddScheduleOptions,
  AddScheduleResult,
  RemoteSchedule,
} from './schedules/schedule-operations.js';
