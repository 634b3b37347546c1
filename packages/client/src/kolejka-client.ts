import {
  getQueueStatus,
  listUsers,
  moveTask,
  setQueuePaused,
  setTaskPriority,
  setUserPolicy,
  type QueueStatus,
  type RemoteUser,
  type TaskPlacement,
  type UserPolicyChanges,
} from './queue/queue-operations.js';
import { getGraph, type TaskGraph } from './graph/graph-operations.js';
import type { ResultSpec, ResultSpecJson, TaskSpec } from '@kolejka/spec';
import { TokenAuth } from './auth.js';
import {
  deleteBlob,
  getBlob,
  hasBlob,
  putBlob,
  type PutBlobResult,
} from './blobs/blob-operations.js';
import type { TransferOptions } from './blobs/blob-transfer.js';
import type { ClientContext } from './client-context.js';
import {
  resolveClientOptions,
  type KolejkaClientOptions,
  type ResolvedClientOptions,
} from './client-options.js';
import {
  clientOptionsFromConfig,
  resolveClientConfig,
  type ConfigFlags,
} from './config/resolve-config.js';
import { waitForTask, type TaskOutcome, type WaitContext } from './events/wait-for-task.js';
import { execute, type ExecuteOptions, type ExecuteResult } from './execute.js';
import { Transport } from './http/transport.js';
import { readClientEnv, type Env } from './options.js';
import type { ProgressOptions } from './progress.js';
import type { NewToken, RemoteResult, RemoteTask, TaskPage } from './resources.js';
import {
  addSchedule,
  getSchedule,
  listSchedules,
  removeSchedule,
  updateSchedule,
  type AddScheduleOptions,
  type AddScheduleResult,
  type RemoteSchedule,
} from './schedules/schedule-operations.js';
import {
  deleteResult,
  getResult,
  getResultRecord,
  putResult,
  uploadResult,
} from './tasks/result-operations.js';
import {
  cancelTask,
  deleteTask,
  getTask,
  getTaskRecord,
  iterateTasks,
  listTasks,
  putTask,
  requeueTask,
  type PutTaskOptions,
  type PutTaskResult,
  type TaskFilter,
} from './tasks/task-operations.js';

export interface WaitForResultOptions extends ProgressOptions {
  /** Give up with KOLEJKA_TIMEOUT after this long. Default: no limit. */
  timeoutMs?: number;
}

/**
 * The Kolejka client library: blobs with deduplication, tasks, results, waiting for
 * results by push. One instance talks to one Kolejka system (possibly behind several
 * URLs); it keeps no global state. `close()` revokes a token it logged in for.
 */
export class KolejkaClient {
  readonly options: ResolvedClientOptions;
  readonly #ctx: ClientContext;
  readonly #wait: WaitContext;
  readonly #auth: TokenAuth;
  #closing: Promise<void> | undefined;

  constructor(options: KolejkaClientOptions) {
    this.options = resolveClientOptions(options);
    const { logger } = this.options;
    this.#auth = new TokenAuth({
      logger,
      ...(this.options.token === undefined ? {} : { token: this.options.token }),
      ...(this.options.username === undefined ? {} : { username: this.options.username }),
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
    });
    const transport = new Transport({
      servers: this.options.servers,
      fetch: this.options.fetch,
      auth: this.#auth,
      logger,
      retries: this.options.retries,
      backoff: { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs },
      requestTimeoutMs: this.options.requestTimeoutMs,
      idleTimeoutMs: this.options.idleTimeoutMs,
      userAgent: this.options.userAgent,
    });
    this.#ctx = { options: this.options, transport, auth: this.#auth, logger };
    this.#wait = {
      transport,
      auth: this.#auth,
      logger,
      webSocket: this.options.webSocket,
      requestTimeoutMs: this.options.requestTimeoutMs,
      pingIntervalMs: this.options.pingIntervalMs,
    };
    this.#auth.setIssuer({
      createToken: (username, password, signal) =>
        this.createToken(username, password, {
          label: this.options.tokenLabel,
          ...(signal ? { signal } : {}),
        }),
      revokeToken: (id) => this.revokeToken(id),
    });
  }

  /**
   * A client configured as `kolejka-client` is: `kolejka.conf` (the original's INI), then
   * `client.json`, then `KOLEJKA_SERVER`/`KOLEJKA_TOKEN`, then `flags`; `overrides` (a
   * logger, fetch, timeouts…) are applied last.
   */
  static async fromConfig(
    options: {
      /** Default: `process.env`. */
      env?: Env;
      flags?: ConfigFlags;
      overrides?: Partial<KolejkaClientOptions>;
      /** Where `/etc` is for the `kolejka.conf` search. Default `/etc`. */
      etcDir?: string;
    } = {},
  ): Promise<KolejkaClient> {
    const config = await resolveClientConfig({
      env: readClientEnv(options.env ?? process.env),
      ...(options.etcDir === undefined ? {} : { etcDir: options.etcDir }),
      ...(options.flags === undefined ? {} : { flags: options.flags }),
      ...(options.overrides?.logger === undefined ? {} : { logger: options.overrides.logger }),
    });
    return new KolejkaClient({ ...clientOptionsFromConfig(config), ...(options.overrides ?? {}) });
  }

  /** Base URLs of the system, the one that answered last first. */
  get servers(): string[] {
    return this.#ctx.transport.serversInOrder();
  }

  // Blobs

  putBlob(filePath: string, options: TransferOptions = {}): Promise<PutBlobResult> {
    return putBlob(this.#ctx, filePath, options);
  }

  getBlob(
    hash: string,
    filePath: string,
    options: TransferOptions = {},
  ): Promise<{ hash: string; size: number; path: string }> {
    return getBlob(this.#ctx, hash, filePath, options);
  }

  hasBlob(hash: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return hasBlob(this.#ctx, hash, options.signal);
  }

  deleteBlob(hash: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return deleteBlob(this.#ctx, hash, options.signal);
  }

  // Tasks

  /** Submits a task dir (or a spec with `baseDir`); returns the task record. */
  async putTask(source: string | TaskSpec, options: PutTaskOptions = {}): Promise<RemoteTask> {
    return (await putTask(this.#ctx, source, options)).task;
  }

  /** `putTask` that also tells how many files were actually sent. */
  putTaskDetailed(source: string | TaskSpec, options: PutTaskOptions = {}): Promise<PutTaskResult> {
    return putTask(this.#ctx, source, options);
  }

  getTaskRecord(key: string, options: { signal?: AbortSignal } = {}): Promise<RemoteTask> {
    return getTaskRecord(this.#ctx, key, options.signal);
  }

  /** Downloads a task into `dir` (spec with `path` = name and `reference` kept, and files). */
  getTask(
    key: string,
    dir: string,
    options: ProgressOptions = {},
  ): Promise<{ task: RemoteTask; spec: TaskSpec; dir: string }> {
    return getTask(this.#ctx, key, dir, options);
  }

  /** One page of tasks, newest first; pass `nextCursor` as `cursor` for the next. */
  listTasks(filter: TaskFilter = {}, options: { signal?: AbortSignal } = {}): Promise<TaskPage> {
    return listTasks(this.#ctx, filter, options.signal);
  }

  /** Every task the filter selects, fetching pages as needed. */
  tasks(
    filter: TaskFilter = {},
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<RemoteTask> {
    return iterateTasks(this.#ctx, filter, options.signal);
  }

  cancelTask(key: string, options: { signal?: AbortSignal } = {}): Promise<RemoteTask> {
    return cancelTask(this.#ctx, key, options.signal);
  }

  /** Runs an ended task again (its result removed); KOLEJKA_CONFLICT when it has not ended. */
  requeueTask(key: string, options: { signal?: AbortSignal } = {}): Promise<RemoteTask> {
    return requeueTask(this.#ctx, key, options.signal);
  }

  /** With `isCascade`, also cancels the tasks waiting on it (refused otherwise). */
  deleteTask(
    key: string,
    options: { signal?: AbortSignal; isCascade?: boolean } = {},
  ): Promise<void> {
    return deleteTask(this.#ctx, key, options.signal, options.isCascade);
  }

  // Task dependencies (issue 12)

  /**
   * Submits a task that depends on `key` (queued, running or already ended): a task dir or
   * a spec with `baseDir`, with more `dependencies`, `after` and `inputs` as in `putTask`.
   */
  async addContinuation(
    key: string,
    source: string | TaskSpec,
    options: Omit<PutTaskOptions, 'continuationOf'> = {},
  ): Promise<RemoteTask> {
    return (await putTask(this.#ctx, source, { ...options, continuationOf: key })).task;
  }

  /** The task with its dependencies and dependents, `depth` steps each way (server default 3). */
  getGraph(
    key: string,
    options: { depth?: number; signal?: AbortSignal } = {},
  ): Promise<TaskGraph> {
    return getGraph(this.#ctx, key, options);
  }

  // Results

  /** Waits until the task ends (pushed over the events channel; polling only without it). */
  waitForResult(key: string, options: WaitForResultOptions = {}): Promise<TaskOutcome> {
    return waitForTask(this.#wait, key, {
      pollIntervalMs: this.options.pollIntervalMs,
      ...options,
    });
  }

  getResultRecord(key: string, options: { signal?: AbortSignal } = {}): Promise<RemoteResult> {
    return getResultRecord(this.#ctx, key, options.signal);
  }

  /** Writes the result into `dir`; hostile file names are refused before anything is written. */
  getResult(
    key: string,
    dir: string,
    options: ProgressOptions = {},
  ): Promise<{ record: RemoteResult; result: ResultSpec; dir: string }> {
    return getResult(this.#ctx, key, dir, options);
  }

  /** Posts a result dir for attempt `attempt` of a task (processors). */
  putResult(
    key: string,
    dir: string,
    options: ProgressOptions & { attempt: number },
  ): Promise<RemoteResult> {
    return putResult(this.#ctx, key, dir, options);
  }

  /**
   * Uploads a result dir's files (deduplicated) and returns the canonical result with files
   * by hash, without posting it (a foreman sends it in `task:finished`, protocol 2).
   */
  uploadResult(key: string, dir: string, options: ProgressOptions = {}): Promise<ResultSpecJson> {
    return uploadResult(this.#ctx, key, dir, options);
  }

  deleteResult(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return deleteResult(this.#ctx, key, options.signal);
  }

  /** Put + wait + get. */
  execute(
    taskDir: string,
    resultDir: string,
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    return execute(this.#ctx, this.#wait, taskDir, resultDir, options);
  }

  // Queue control (issue 12)

  /** Whether the queue (or which tags of it) is paused. */
  getQueueStatus(options: { signal?: AbortSignal } = {}): Promise<QueueStatus> {
    return getQueueStatus(this.#ctx, options.signal);
  }

  /** Holds assignment of the whole queue, or of the tasks requiring `tag` (managers, admins). */
  pauseQueue(options: { tag?: string; signal?: AbortSignal } = {}): Promise<QueueStatus> {
    return setQueuePaused(this.#ctx, true, options.tag, options.signal);
  }

  /** Lifts the pause of the whole queue, or of `tag` (managers, admins). */
  resumeQueue(options: { tag?: string; signal?: AbortSignal } = {}): Promise<QueueStatus> {
    return setQueuePaused(this.#ctx, false, options.tag, options.signal);
  }

  /** A waiting or queued task's new priority (owners up to the server's ceiling; managers any). */
  setTaskPriority(
    key: string,
    priority: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteTask> {
    return setTaskPriority(this.#ctx, key, priority, options.signal);
  }

  /**
   * Reorders a waiting or queued task within its priority: `{ to: 'front' | 'back' }` or
   * `{ before: KEY }` (a task of the same priority; another priority is KOLEJKA_CONFLICT).
   */
  moveTask(
    key: string,
    placement: TaskPlacement,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteTask> {
    return moveTask(this.#ctx, key, placement, options.signal);
  }

  /** Users with their fair-share weight and limits (admins). */
  listUsers(options: { signal?: AbortSignal } = {}): Promise<RemoteUser[]> {
    return listUsers(this.#ctx, options.signal);
  }

  /** Sets a user's fair-share weight and limits; null removes one (admins). */
  setUserPolicy(
    username: string,
    changes: UserPolicyChanges,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteUser> {
    return setUserPolicy(this.#ctx, username, changes, options.signal);
  }

  // Schedules (cron)

  /** Uploads a task dir's files (or a spec's, with `baseDir`) and creates a schedule firing it. */
  addSchedule(source: string | TaskSpec, options: AddScheduleOptions): Promise<AddScheduleResult> {
    return addSchedule(this.#ctx, source, options);
  }

  /** Your schedules (inspectors, managers, admins: everyone's, or `owner`'s), oldest first. */
  listSchedules(
    filter: { owner?: string } = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteSchedule[]> {
    return listSchedules(this.#ctx, filter, options.signal);
  }

  /** A schedule with its next firing time and last task. */
  getSchedule(id: string, options: { signal?: AbortSignal } = {}): Promise<RemoteSchedule> {
    return getSchedule(this.#ctx, id, options.signal);
  }

  /** Pauses a schedule: no tick fires until it is resumed. */
  pauseSchedule(id: string, options: { signal?: AbortSignal } = {}): Promise<RemoteSchedule> {
    return updateSchedule(this.#ctx, id, { paused: true }, options.signal);
  }

  /** Resumes a schedule; the ticks that passed while it was paused do not fire. */
  resumeSchedule(id: string, options: { signal?: AbortSignal } = {}): Promise<RemoteSchedule> {
    return updateSchedule(this.#ctx, id, { paused: false }, options.signal);
  }

  /** Changes the priority of the tasks a schedule submits from now on. */
  setSchedulePriority(
    id: string,
    priority: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<RemoteSchedule> {
    return updateSchedule(this.#ctx, id, { priority }, options.signal);
  }

  /** Removes a schedule; the tasks it submitted stay. */
  removeSchedule(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return removeSchedule(this.#ctx, id, options.signal);
  }

  // Tokens

  /** Logs in: trades a user name and password for a new token (`POST /api/v1/tokens`). */
  async createToken(
    username: string,
    password: string,
    options: { label?: string; signal?: AbortSignal } = {},
  ): Promise<NewToken> {
    return this.#ctx.transport.json<NewToken>({
      method: 'POST',
      path: '/api/v1/tokens',
      json: {
        username,
        password,
        ...(options.label === undefined ? {} : { label: options.label }),
      },
      isAnonymous: true,
      // A repeat would only make a second token; never resent once it may have arrived.
      isIdempotent: false,
      signal: options.signal,
    });
  }

  async revokeToken(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#ctx.transport.send({
      method: 'DELETE',
      path: `/api/v1/tokens/${encodeURIComponent(id)}`,
      isIdempotent: false,
      signal: options.signal,
    });
  }

  /** Who the credentials belong to (`GET /api/v1/me`). */
  whoAmI(
    options: { signal?: AbortSignal } = {},
  ): Promise<{ username: string; roles: string[]; tokenId?: string }> {
    return this.#ctx.transport.json({
      method: 'GET',
      path: '/api/v1/me',
      isIdempotent: true,
      signal: options.signal,
    });
  }

  /** Releases the client: revokes a token it logged in for. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#auth.close();
    return this.#closing;
  }
}
