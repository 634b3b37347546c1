export {
  ERROR_CODES,
  KolejkaError,
  isErrorCode,
  isKolejkaError,
  pointerAppend,
  readablePath,
  validationError,
  type ErrorCode,
  type KolejkaErrorOptions,
  type ValidationIssue,
} from './errors.js';
export { diskFullCode } from './disk-full.js';
export { noopLogger, type LogMeta, type Logger } from './logger.js';
export {
  formatMemory,
  formatTime,
  parseBigint,
  parseBool,
  parseCount,
  parseMemory,
  parseTime,
} from './value-grammar.js';
export {
  CONSUMABLE_LIMITS,
  LIMIT_KINDS,
  LIMIT_NAMES,
  combineLimits,
  dumpLimits,
  normalizeLimits,
  parseLimitValue,
  parseLimits,
  type LimitKind,
  type LimitName,
  type Limits,
  type LimitsJson,
} from './limits.js';
export { capLimits } from './limit-caps.js';
export {
  dumpStats,
  emptyStats,
  keepMaxima,
  mergeStats,
  parseStats,
  type CpuStats,
  type GpuStats,
  type MemoryStats,
  type PerfStats,
  type PidsStats,
  type Stats,
  type StatsJson,
} from './stats.js';
export { PEAK_STATS, peaksWithoutCounter, type PeakStat } from './sampled-stats.js';
export { TERMINATION_REASONS, type Termination, type TerminationReason } from './termination.js';
export type { FileSpec, FilesSpec } from './files.js';
export {
  assertRunnable,
  dumpTask,
  parseTask,
  type CollectSpec,
  type TaskSpec,
  type TaskSpecJson,
} from './task.js';
export { dumpResult, parseResult, type ResultSpec, type ResultSpecJson } from './result.js';
export { canonicalJson, compareCodePoints } from './canonical-json.js';
export { readResult, readTask, writeResult, writeTask, type WriteSpecOptions } from './spec-dir.js';
export { isInside, relativePathProblem, resolveInside } from './paths.js';
export { SCHEMAS, assertSchema, schemaIssues } from './validator.js';
export { demandOf, releaseCapacity, takeCapacity, type Demand } from './capacity.js';
export { matchTask, type ForemanOffer, type Match, type TaskRequirements } from './matching.js';
export {
  CONTAINER_HOSTNAME,
  CONTAINER_RESULT_DIR,
  CONTAINER_TASK_DIR,
  OBSERVER_PID_PATH,
  OBSERVER_SOCKET_PATH,
  RESULT_SPEC_FILE,
  TASK_SPEC_FILE,
  taskDefaultEnvironment,
} from './constants.js';
export {
  TASK_STATES,
  TERMINAL_TASK_STATES,
  isTerminalTaskState,
  type TaskState,
} from './task-state.js';
export type { ResultView, TaskView } from './api-views.js';
export type { ScheduleOverlapPolicy, ScheduleView } from './schedule-view.js';
export type {
  TaskAttemptOutcome,
  TaskAttemptView,
  TaskHistoryEntryView,
  TaskHistoryView,
} from './task-history-view.js';
export {
  FOREMAN_PROTOCOL_VERSIONS,
  RESULTS_IN_FINISHED_PROTOCOL,
  RESULT_ACK_PROTOCOL,
  type ForemanDrain,
  type ResultStored,
  type ForemanHeartbeat,
  type ForemanHello,
  type ForemanMessage,
  type ProtocolError,
  type ServerMessage,
  type ServerWelcome,
  type TaskAccepted,
  type TaskAssign,
  type TaskAttempt,
  type TaskCancel,
  type TaskFailed,
  type TaskFinished,
  type TaskRejected,
  type TaskStarted,
} from './protocol/foreman-messages.js';
export {
  type EventsClientMessage,
  type EventsServerMessage,
  type EventsSubscribe,
  type EventsSubscribed,
  type EventsUnsubscribe,
  type TaskUpdated,
} from './protocol/event-messages.js';
export {
  MAX_MESSAGE_BYTES,
  parseEventsClientMessage,
  parseEventsServerMessage,
  parseForemanMessage,
  parseServerMessage,
} from './protocol/parse-message.js';
