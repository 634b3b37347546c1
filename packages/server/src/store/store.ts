import type {
  BlobRecord,
  Claim,
  ExpiredLease,
  FinishOutcome,
  ForemanChanges,
  ForemanRecord,
  MoveOutcome,
  Page,
  QueuePauseRecord,
  ReferenceRecord,
  ResultRecord,
  Role,
  SessionRecord,
  TaskActivity,
  TaskEvent,
  TaskFilter,
  TaskPlacement,
  TaskRecord,
  TaskState,
  TokenRecord,
  UserQueuePolicyChanges,
  UserRecord,
} from './store-records.js';
import type {
  FireOutcome,
  ScheduleChanges,
  ScheduleFilter,
  ScheduleRecord,
} from './schedule-records.js';

import type { TaskLinks } from './dependency-records.js';

// The records the contract speaks of, so that its users import both from one module.
export * from './store-records.js';
export * from './schedule-records.js';
export * from './dependency-records.js';

/**
 * The server's one narrow storage interface. Two engines implement it — SQLite (embedded
 * default) and MongoDB (several server processes on one database) — and one conformance
 * suite (test/store-conformance.ts) runs against both.
 *
 * Rules every engine keeps:
 * - Every state change is ONE atomic operation in the engine (a single statement or
 *   transaction in SQLite, a single findOneAndUpdate / transaction in MongoDB); nothing is
 *   read-then-written across two calls. Conditional updates return `undefined` (or a
 *   refusal) when the condition no longer holds, so racing callers see exactly one winner.
 * - Every task state change appends a `TaskEvent` in the same atomic operation, with a
 *   strictly increasing `seq`; other server processes follow the log (`readEvents`).
 * - Times are `Date`s; engines store them with millisecond precision. An operation that
 *   decides or records the current time takes it as `now` (the caller's clock): engines
 *   never read the clock themselves, so tests and racing processes agree on time.
 * - Records returned are copies: mutating them never changes the store.
 * - Blob records cannot be removed while a reference, task file or result file names them,
 *   and nothing can name a blob that has no record: `createReference`, `ensureReference`,
 *   `createTask` and `finishTask` refuse an unknown hash with KOLEJKA_NOT_FOUND, atomically
 *   with respect to `removeBlobIfUnreferenced` (so `gc` never deletes content in use).
 * - Errors are `KolejkaError`s: KOLEJKA_CONFLICT (a key exists), KOLEJKA_NOT_FOUND (a named
 *   record is missing), KOLEJKA_VALIDATION (a malformed argument, such as a bad cursor),
 *   KOLEJKA_UNAVAILABLE (the database cannot be reached or is locked, the store is closed).
 */
export interface Store {
  // Users, tokens, sessions ---------------------------------------------------------------
  /** Throws KOLEJKA_CONFLICT when the username exists. */
  createUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  /** Returns false when there is no such user. */
  updateUser(
    username: string,
    changes: { roles?: Role[]; passwordHash?: string | null },
  ): Promise<boolean>;
  /** Removes the user with its tokens and sessions (its tasks, blobs and references stay). */
  removeUser(username: string): Promise<boolean>;

  /** KOLEJKA_CONFLICT when the id or the hash exists; KOLEJKA_NOT_FOUND when the user does not. */
  createToken(token: TokenRecord): Promise<void>;
  /**
   * Looks a token up by the hash of its secret and records `lastUsedAt = now` — at most once
   * per `TOKEN_USE_RESOLUTION_MS`: a use within that time of the recorded one changes nothing,
   * so an authenticated request is not a write (foremen post a result per task).
   */
  useToken(tokenHash: string, now: Date): Promise<TokenRecord | undefined>;
  listTokens(username?: string): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;

  /** KOLEJKA_CONFLICT when the key exists; KOLEJKA_NOT_FOUND when the user does not. */
  createSession(session: SessionRecord): Promise<void>;
  /** Returns the session unless it is missing or expired at `now`. */
  getSession(keyHash: string, now: Date): Promise<SessionRecord | undefined>;
  deleteSession(keyHash: string): Promise<void>;
  /** Removes sessions expired at `now` (used by `gc`); returns how many. */
  deleteExpiredSessions(now: Date): Promise<number>;

  // Blobs and references ----------------------------------------------------------------------
  /**
   * Records a blob whose content the blob store holds; idempotent (keeps and returns the
   * first record; a repeat only restarts the gc grace period, see `listUnreferencedBlobs`).
   */
  putBlob(blob: BlobRecord): Promise<BlobRecord>;
  getBlob(hash: string): Promise<BlobRecord | undefined>;
  /** Removes the record only if no reference, task or result names the hash; returns whether it did. */
  removeBlobIfUnreferenced(hash: string): Promise<boolean>;
  /**
   * Blobs that no reference, task file or result file names any more (for `gc`), least
   * recently put first; with `createdBefore`, only those neither created nor put again since
   * (the grace period that keeps an upload in flight, whose reference is not written yet,
   * from being collected; `putBlob` of an existing hash restarts it).
   */
  listUnreferencedBlobs(limit: number, createdBefore?: Date): Promise<BlobRecord[]>;
  /** Sum of sizes and count of all blob records (metrics). */
  blobTotals(): Promise<{ count: number; bytes: number }>;

  /** Throws KOLEJKA_CONFLICT when the key exists, KOLEJKA_NOT_FOUND when the blob has no record. */
  createReference(reference: ReferenceRecord): Promise<void>;
  getReference(key: string): Promise<ReferenceRecord | undefined>;
  /**
   * A reference of `owner` to `hash` (its oldest), creating one (key `newKey`, private) if it
   * has none; idempotent, also when called concurrently. KOLEJKA_NOT_FOUND when the blob has
   * no record.
   */
  ensureReference(owner: string, hash: string, now: Date, newKey: string): Promise<ReferenceRecord>;
  hasReference(owner: string, hash: string): Promise<boolean>;
  touchReference(key: string, now: Date): Promise<void>;
  deleteReference(key: string): Promise<boolean>;
  /** Deletes every reference to the hash (original `DELETE /blob/blob/<hash>/`); returns how many. */
  deleteReferencesToBlob(hash: string): Promise<number>;

  // Tasks -------------------------------------------------------------------------------------
  /**
   * Inserts a task (state `queued` or `waiting`) and appends its event. KOLEJKA_CONFLICT when
   * the key exists; KOLEJKA_NOT_FOUND (naming the file) when a `files[*].reference` hash has
   * no blob record; KOLEJKA_VALIDATION when the state is another or a reference is not a hash.
   */
  createTask(task: TaskRecord): Promise<void>;
  getTask(key: string): Promise<TaskRecord | undefined>;
  /**
   * Newest first (or oldest first with `filter.sort`); stable cursor pagination. A cursor
   * continues only the order it was given in (KOLEJKA_VALIDATION naming the other sort).
   * Each filter reads an index in page order (state, owner+state, image, tag), so a rare
   * value among many tasks costs its page, not the table; `keyContains` scans the keys.
   */
  listTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<Page<TaskRecord>>;
  /**
   * Queued tasks in run order (priority desc, createdAt asc, key asc), for the scheduler.
   * (A moved task's `queueOrder` is applied by the scheduler's queue index, not here: this
   * order only pages the snapshot.)
   */
  listQueuedTasks(
    limit: number,
    after?: { priority: number; createdAt: Date; key: string },
  ): Promise<TaskRecord[]>;
  countTasksByState(): Promise<Record<TaskState, number>>;
  /**
   * The overview's figures since `since` (of `owner`'s tasks only, when given): how long the
   * tasks assigned since then waited, and how many ended per minute. Reads only the tasks
   * assigned or ended since then (indexes by `assignedAt` and `finishedAt`), not the table.
   * Tasks requeued or deleted since no longer count.
   */
  taskActivity(since: Date, owner?: string): Promise<TaskActivity>;
  /** Removes the task and its result, appending an event with `isDeleted` (at `now`); returns whether it existed. */
  deleteTask(key: string, now: Date): Promise<boolean>;

  /**
   * Notes why queued tasks wait (e.g. no connected foreman can ever run them), or clears
   * the note with `undefined`. Only tasks still `queued` change; no event, no `updatedAt`
   * change (it is not a state change). Returns how many changed. A claim clears the note.
   */
  setQueuedReason(keys: readonly string[], reason: string | undefined): Promise<number>;
  /** `queued` → `assigned`: attempt + 1, assignee, lease; clears `reason`. `undefined` when not queued any more (someone else won). */
  claimTask(key: string, claim: Claim): Promise<TaskRecord | undefined>;
  /** The foreman turned the assignment down: `assigned` (this attempt) → `queued`, attempt kept. */
  releaseTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined>;
  /** `assigned` (this attempt) → `running`. Idempotent: already `running` with this attempt returns the task (no new event). */
  startTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined>;
  /** Extends the leases of the given tasks held by `assignee` (in `assigned`/`running`); returns the keys renewed. */
  renewLeases(
    assignee: string,
    tasks: { key: string; attempt: number }[],
    leaseExpiresAt: Date,
  ): Promise<string[]>;
  /**
   * Stores the result of the current attempt and finishes the task, atomically, with fencing
   * (see `FinishOutcome`). Checked in this order: an identical result (same attempt, same spec
   * by canonical JSON) → `duplicate`; the attempt is not current or the task is not
   * assigned/running → `stale`; another result stored → `conflict`. `result.taskKey` must be
   * `key`; the stored `attempt` is `attempt`. KOLEJKA_NOT_FOUND when a result file's blob has
   * no record.
   */
  finishTask(key: string, attempt: number, result: ResultRecord, now: Date): Promise<FinishOutcome>;
  /** Any non-terminal state → `failed` with `reason`; when `attempt` is given it must match. */
  failTask(
    key: string,
    reason: string,
    now: Date,
    attempt?: number,
  ): Promise<TaskRecord | undefined>;
  /** Any non-terminal state → `cancelled`; returns the task as it was before (to notify its foreman). */
  cancelTask(key: string, reason: string, now: Date): Promise<TaskRecord | undefined>;
  /**
   * Admin requeue: any state except `queued` → `queued`, clearing assignee, lease, reason,
   * result and `lostCount` (a fresh set of attempts); `attempt` kept. Also how a `waiting`
   * task is released. With `fromStates`, only a task in one of those states moves (the API's
   * requeue of ended tasks), decided in the same atomic operation; `undefined` otherwise.
   */
  requeueTask(
    key: string,
    now: Date,
    fromStates?: readonly TaskState[],
  ): Promise<TaskRecord | undefined>;
  /** Tasks in `assigned`/`running` whose lease ended before `now`: requeued, or failed after `maxAttempts` losses. */
  expireLeases(now: Date, reasonFor: (task: TaskRecord) => string): Promise<ExpiredLease[]>;

  getResult(taskKey: string): Promise<ResultRecord | undefined>;
  /**
   * Removes the result of a finished task and returns the task to `queued` (attempt kept,
   * assignee and lease cleared), so it runs again and can receive a new result — the
   * original's "delete the result, the task can then receive a new one". Returns whether
   * there was a result. `lostCount` is reset as by `requeueTask`.
   */
  deleteResult(taskKey: string, now: Date): Promise<boolean>;

  // Task dependencies (issue 12) -------------------------------------------------------------
  // A task created with `links` is stored `waiting` with an edge per dependency and a
  // counter of unsatisfied ones (KOLEJKA_NOT_FOUND naming a dependency that does not exist,
  // KOLEJKA_VALIDATION for duplicates, more than MAX_DEPENDENCIES, itself, or an input `from`
  // that is not a dependency). Dependents are decided INSIDE the operation that ends their
  // dependency — finishTask, failTask, cancelTask, expireLeases to failed — in the same
  // atomic operation: the edge gets its outcome under the dependent's `after`; a dependent
  // whose last dependency is satisfied goes `waiting` → `queued` (with its event, and its
  // inputs resolved to the result files' hashes as task files); one that can no longer be
  // satisfied goes → `cancelled` with a reason naming the dependency, and that propagates to
  // its own dependents. Exactly once with several server processes, no sweep. Dependencies
  // that ended before the submission decide the new task at once. An edge is decided once:
  // re-running an ended dependency (requeue, result deletion) does not decide it again.
  /** The task's dependencies, policy, inputs and dependents (the first `dependentLimit`); `undefined` when no such task. */
  getTaskLinks(key: string, dependentLimit: number): Promise<TaskLinks | undefined>;

  // Events ------------------------------------------------------------------------------------
  /** Events with `seq > afterSeq`, oldest first. */
  readEvents(afterSeq: number, limit: number): Promise<TaskEvent[]>;
  lastEventSeq(): Promise<number>;
  /**
   * The events of one task key, oldest first, its deletion event included. At most
   * `TASK_HISTORY_LIMIT`: the newest ones when there are more (the older ones are left out,
   * as those pruned by `deleteEventsBefore` are). `[]` when the key has none.
   */
  taskHistory(key: string): Promise<TaskEvent[]>;
  /**
   * Resolves when the store may have new events (written by this or another process), after
   * `timeoutMs`, or when `signal` aborts (it never rejects for those). With `afterSeq` it
   * resolves at once when events with `seq > afterSeq` exist, and otherwise wakes only for
   * new events: pass the last seq you read, so an event written between your `readEvents`
   * and this call is never missed. SQLite: watches `PRAGMA data_version`; MongoDB: a change
   * stream on the events.
   */
  waitForChange(timeoutMs: number, signal?: AbortSignal, afterSeq?: number): Promise<void>;
  /** Removes events older than `before` (retention, used by `gc`); returns how many. */
  deleteEventsBefore(before: Date): Promise<number>;

  // Foremen -----------------------------------------------------------------------------------
  /** Inserts or replaces the whole record. */
  upsertForeman(foreman: ForemanRecord): Promise<void>;
  getForeman(id: string): Promise<ForemanRecord | undefined>;
  listForemen(): Promise<ForemanRecord[]>;
  /** Applies the changes (and `updatedAt` = `now`); undefined when there is no such foreman. */
  updateForeman(id: string, changes: ForemanChanges, now: Date): Promise<ForemanRecord | undefined>;

  // Queue control (issue 12) ------------------------------------------------------------------
  /**
   * Holds assignment of the whole queue (no `tag`) or of the tasks requiring `pause.tag`.
   * Returns false (keeping the first record) when that pause exists already.
   */
  pauseQueue(pause: QueuePauseRecord): Promise<boolean>;
  /** Lifts the pause of the whole queue (no tag) or of one tag; returns whether there was one. */
  resumeQueue(tag?: string): Promise<boolean>;
  /** Every pause in force, the whole-queue one first, then by tag. */
  listQueuePauses(): Promise<QueuePauseRecord[]>;
  /**
   * A `waiting` or `queued` task's new priority (and `updatedAt` = `now`), with an event of its
   * (unchanged) state so that schedulers re-place it. `undefined` when the task is missing or
   * in another state.
   */
  setTaskPriority(key: string, priority: number, now: Date): Promise<TaskRecord | undefined>;
  /**
   * Moves a `waiting` or `queued` task among those of its priority: to the front, the back,
   * or just before another of the same priority; writes that task only (a new `queueOrder`,
   * `updatedAt` = `now`) with an event of its unchanged state, so schedulers re-place it.
   */
  moveTask(key: string, placement: TaskPlacement, now: Date): Promise<MoveOutcome>;
  /** Sets or removes (null) a user's weight and limits; false when there is no such user. */
  setUserQueuePolicy(username: string, changes: UserQueuePolicyChanges): Promise<boolean>;
  /** How many tasks of `owner` are in any of `states` (the per-user limits). */
  countTasksOf(owner: string, states: TaskState[]): Promise<number>;
  // Schedules (cron) -------------------------------------------------------------------------
  /**
   * Inserts a schedule. KOLEJKA_CONFLICT when the id exists; KOLEJKA_NOT_FOUND (naming the
   * file) when a `spec.files[*].reference` hash has no blob record. The blobs its spec names
   * count as referenced (gc keeps them) while the schedule exists.
   */
  createSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(id: string): Promise<ScheduleRecord | undefined>;
  /** Oldest first (createdAt, id). */
  listSchedules(filter: ScheduleFilter): Promise<ScheduleRecord[]>;
  /**
   * Applies the changes (and `updatedAt` = `now`); undefined when there is no such schedule.
   * Resuming (`isPaused: false` on a paused schedule) sets `lastTickAt` to `now`: ticks
   * missed while paused never fire.
   */
  updateSchedule(
    id: string,
    changes: ScheduleChanges,
    now: Date,
  ): Promise<ScheduleRecord | undefined>;
  /** Removes the schedule (its tasks stay); returns whether it existed. */
  deleteSchedule(id: string): Promise<boolean>;
  /**
   * The claim "fire schedule `id` for `tick`", ONE atomic operation: when the schedule is
   * not paused and `tick` is after its `lastTickAt`, it consumes the tick and — unless the
   * overlap policy is `skip` and its last task is not in a terminal state (`skipped`) —
   * creates `task` (as `createTask` does, with its event; `task.schedule` must be `id`) and
   * records it as the last task. Otherwise `stale`, changing nothing. So several processes
   * racing for one tick see exactly one `fired`, and a consumed tick always has its task.
   */
  fireSchedule(id: string, tick: Date, task: TaskRecord, now: Date): Promise<FireOutcome>;

  /** Idempotent; releases connections and handles. Pending `waitForChange` calls resolve; other calls then fail with KOLEJKA_UNAVAILABLE. */
  close(): Promise<void>;
}
