export { KolejkaClient, type WaitForResultOptions } from './kolejka-client.js';
export {
  resolveClientOptions,
  type KolejkaClientOptions,
  type ResolvedClientOptions,
} from './client-options.js';
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
export type { TaskOutcome } from './events/wait-for-task.js';
export type { WebSocketFactory } from './events/events-socket.js';
export { parseServerUrls } from './server-urls.js';
export { ENV_NAMES, readClientEnv, type ClientEnv, type Env } from './options.js';
export { parseIni, type IniFile } from './config/ini.js';
export {
  KOLEJKA_CONF,
  confValue,
  kolejkaConfSearchPath,
  readKolejkaConf,
  type ConfValue,
  type KolejkaConf,
} from './config/kolejka-conf.js';
export {
  CLIENT_JSON,
  clientJsonPath,
  readClientJson,
  saveToken,
  writeClientJson,
  type ClientJsonConfig,
} from './config/client-json.js';
export {
  DEFAULT_SERVER,
  clientOptionsFromConfig,
  configLimits,
  resolveClientConfig,
  type ClientConfig,
  type ConfigFlags,
  type Setting,
} from './config/resolve-config.js';
export {
  lastFlagText,
  limitsFromFlags,
  parseFlag,
  withLimitFlags,
  type LimitFlag,
} from './cli/limit-flags.js';
export { mapLimited } from './files/map-limited.js';
