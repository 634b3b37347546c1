export { BUILT_IN_MODULES, appContextOf, createApp, type CreateAppOptions } from './app.js';
export type { AppContext } from './app-context.js';
export { startServer, type RunningServer, type StartServerOptions } from './server.js';
export {
  DEFAULT_SETTINGS,
  describeSettings,
  resolveServerSettings,
  type ServerSettings,
  type ServerSettingsOptions,
} from './settings.js';
export {
  DEFAULT_OPTIONS,
  ENV_NAMES,
  LOG_LEVELS,
  resolveServerOptions,
  type LogLevel,
  type ResolvedServerOptions,
  type ServerOptions,
} from './options.js';
export { openStorage, type OpenStorageOptions, type Storage } from './storage.js';
export { createDaemonLogger, type DaemonLoggerOptions } from './logging.js';
export { buildOpenApiDocument } from './api/openapi.js';
export { doc, type OpenApiPaths, type RouteModule } from './api/route-module.js';
export {
  GRANTS,
  PERMISSIONS,
  hasPermission,
  isAdmin,
  principalOf,
  requirePermission,
  requirePrincipal,
  setPrincipal,
  type Permission,
  type Principal,
} from './auth/principal.js';
export { bearerAuth, principalForToken } from './auth/bearer.js';
export { hashPassword, verifyPassword } from './auth/passwords.js';
export { newTokenId, newTokenSecret, newUuidHex, sha256Hex } from './auth/tokens.js';
export { CallbackDispatcher, type CallbackDispatcherOptions } from './callbacks.js';
export { Metrics } from './metrics.js';
export {
  leaseLossReason,
  startLeaseReaper,
  type LeaseReaper,
  type LeaseReaperOptions,
} from './lease-reaper.js';
export { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
export { EventFeed, type EventConsumer, type EventFeedOptions } from './scheduler/event-feed.js';
export { QueueIndex, requirementsOf, runsBefore } from './scheduler/queue-index.js';
export { ForemenRegistry, CLOSE_CODES } from './scheduler/foremen-registry.js';
export { MAX_INVALID_MESSAGES } from './scheduler/invalid-messages.js';
export { foremanView, type ForemanView } from './scheduler/foremen-view.js';
export { createUpgradeHandler, type UpgradeOptions } from './scheduler/websocket-upgrades.js';
export {
  EventsHub,
  Subscription,
  updateOfTask,
  type EventSink,
  type EventsHubOptions,
} from './events/events-hub.js';
export { EventsSockets } from './events/events-socket.js';
export { HttpError, STATUS_BY_CODE, errorMiddleware, sendJson, statusOf } from './http/errors.js';
export { readBody, parseJsonBody, readJson } from './http/body.js';
export {
  isAssignedTo,
  mayPostResult,
  postResult,
  recordResult,
  staleAttempt,
  type ResultPost,
} from './domain/results.js';
export { submitTask, type SubmitOptions } from './domain/task-submission.js';
export { dequeueTasks, type DequeueRequest } from './domain/dequeue.js';
export { mayReadHash, resolveFileReference } from './domain/blob-access.js';
export { taskView, resultView } from './api/v1/views.js';
export { runCli } from './cli/main.js';
export type { CliIo } from './cli/io.js';
export {
  ROLES,
  TASK_STATES,
  TERMINAL_TASK_STATES,
  SqliteStore,
  openSqliteStore,
  openStore,
  parseStoreUrl,
  type BlobRecord,
  type Claim,
  type ExpiredLease,
  type FinishOutcome,
  type ForemanChanges,
  type ForemanRecord,
  type Page,
  type ReferenceRecord,
  type ResultRecord,
  type Role,
  type SessionRecord,
  type Store,
  type TaskEvent,
  type TaskFilter,
  type TaskRecord,
  type TaskState,
  type TokenRecord,
  type UserRecord,
} from './store/index.js';
export {
  FsBlobStore,
  isBlobHash,
  openBlobStore,
  openFsBlobStore,
  type BlobStore,
  type ByteRange,
  type PutBlobOptions,
  type PutBlobResult,
  type StoredBlob,
} from './blobs/index.js';
export { collectGarbage, type GcOptions, type GcReport } from './gc.js';
