import type { LimitsJson, ResultSpecJson, TaskSpecJson, TaskState } from '@kolejka/spec';

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
 * - Times are `Date`s; engines store them with millisecond precision.
 * - Records returned are copies: mutating them never changes the store.
 * - Blob records cannot be removed while a reference, task file or result file names them,
 *   and nothing can name a blob that has no record: `createReference`, `ensureReference`,
 *   `createTask` and `finishTask` refuse an unknown hash with KOLEJKA_NOT_FOUND, atomically
 *   with respect to `removeBlobIfUnreferenced` (so `gc` never deletes content in use).
 * - Errors are `KolejkaError`s: KOLEJKA_CONFLICT (a key exists), KOLEJKA_NOT_FOUND (a named
 *   record is missing), KOLEJKA_VALIDATION (a malformed argument, such as a bad cursor),
 *   KOLEJKA_UNAVAILABLE (the database cannot be reached or is locked, the store is closed).
 */

export const ROLES = ['client', 'processor', 'inspector', 'manager', 'admin'] as const;
/** client: submits tasks, reads its own; processor: a foreman's identity (claims tasks,
 * posts results, reads any blob); inspector: reads everything; manager: reads and deletes
 * everything, drains foremen; admin: everything (as a Django superuser). */
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  username: string;
  roles: Role[];
  /** scrypt hash in the form `scrypt$N$r$p$salt$hash` (base64 parts); absent = no password login. */
  passwordHash?: string;
  createdAt: Date;
}

export interface TokenRecord {
  /** Public id (to list and revoke), not the secret. */
  id: string;
  username: string;
  /** SHA-256 hex of the secret token; the secret itself is shown once and never stored. */
  tokenHash: string;
  label?: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

/** A cookie session of the original-compatible API (Django `sessionid`). */
export interface SessionRecord {
  /** SHA-256 hex of the cookie value. */
  keyHash: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface BlobRecord {
  /** SHA-256 hex of the content (64 lowercase hex digits). */
  hash: string;
  size: number;
  createdAt: Date;
}

/** The original's Reference: a user's handle on a blob; ownership = permission to read. */
export interface ReferenceRecord {
  /** uuid4 hex (32 lowercase hex digits). */
  key: string;
  hash: string;
  owner: string;
  isPublic: boolean;
  createdAt: Date;
  accessedAt: Date;
}

// The states are spec's (one list for server, client and foreman); re-exported for the
// modules that take every store type from here.
export { TASK_STATES, TERMINAL_TASK_STATES, type TaskState } from '@kolejka/spec';

export interface TaskRecord {
  /** uuid4 hex issued by the server. */
  key: string;
  owner: string;
  /** Canonical task spec; `files[*].reference` are blob hashes; `id` equals `key`. */
  spec: TaskSpecJson;
  state: TaskState;
  /** Higher runs first; then older first. Default 0. */
  priority: number;
  /** Fencing token: incremented by every claim; a result must carry the current value. 0 before the first claim. */
  attempt: number;
  /** How many leases were lost (expired); the task fails when this reaches `maxAttempts`. */
  lostCount: number;
  maxAttempts: number;
  /** Foreman id (push API) or processor username (original `/queue/dequeue/`) holding the task. */
  assignee?: string;
  leaseExpiresAt?: Date;
  /** Why the task failed or was cancelled, for people. */
  reason?: string;
  createdAt: Date;
  updatedAt: Date;
  assignedAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

export interface ResultRecord {
  taskKey: string;
  /** The attempt that produced it. */
  attempt: number;
  /** Canonical result spec; `files[*].reference` are blob hashes. */
  spec: ResultSpecJson;
  /** Username of the processor that posted it. */
  poster: string;
  createdAt: Date;
}

export interface ForemanRecord {
  id: string;
  /** The processor user it authenticates as. */
  username: string;
  tags: string[];
  capacity: LimitsJson;
  version?: string;
  isOnline: boolean;
  isDraining: boolean;
  /** Which server process holds its connection (see `ServerInstance`). */
  serverId?: string;
  lastHeartbeatAt?: Date;
  updatedAt: Date;
}

/** What `updateForeman` may change; a key given with `undefined` clears that optional field. */
export type ForemanChanges = Partial<
  Pick<
    ForemanRecord,
    'isOnline' | 'isDraining' | 'serverId' | 'lastHeartbeatAt' | 'tags' | 'capacity'
  >
>;

export interface TaskEvent {
  seq: number;
  taskKey: string;
  owner: string;
  /** The state entered (for a deletion: the state the task had). */
  state: TaskState;
  attempt: number;
  assignee?: string;
  /** Present (true) on the event `deleteTask` appends: the task and its result are gone. */
  isDeleted?: boolean;
  /** The task's `reason` after the change (why it failed or was cancelled), when it has one. */
  reason?: string;
  at: Date;
}

export interface TaskFilter {
  owner?: string;
  /** Any of these states (an empty list matches nothing). */
  states?: TaskState[];
  /** Exclusive bounds on `createdAt`. */
  createdAfter?: Date;
  createdBefore?: Date;
  assignee?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  nextCursor?: string;
}

export interface Claim {
  /** Foreman id or processor username. */
  assignee: string;
  leaseExpiresAt: Date;
  now: Date;
}

export type FinishOutcome =
  /** Stored now; the task is `finished`. */
  | { outcome: 'stored'; task: TaskRecord; result: ResultRecord }
  /** The same result was stored before (identical spec and attempt): nothing changed. */
  | { outcome: 'duplicate'; task: TaskRecord; result: ResultRecord }
  /** The attempt is not the task's current one, or the task is no longer assigned/running. */
  | { outcome: 'stale'; task: TaskRecord }
  /** A different result is already stored for this task. */
  | { outcome: 'conflict'; task: TaskRecord; result: ResultRecord }
  | { outcome: 'not_found' };

export interface ExpiredLease {
  /** The task after the change. */
  task: TaskRecord;
  /** Who held the lease that expired (the task's assignee before the change). */
  previousAssignee?: string;
  /** `requeued` with attempt kept (the next claim increments it), or `failed` when `lostCount` reached `maxAttempts`. */
  outcome: 'requeued' | 'failed';
}

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
  /** Newest first; stable cursor pagination. */
  listTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<Page<TaskRecord>>;
  /** Queued tasks in run order (priority desc, createdAt asc, key asc), for the scheduler. */
  listQueuedTasks(
    limit: number,
    after?: { priority: number; createdAt: Date; key: string },
  ): Promise<TaskRecord[]>;
  countTasksByState(): Promise<Record<TaskState, number>>;
  /** Removes the task and its result, appending an event with `isDeleted`; returns whether it existed. */
  deleteTask(key: string): Promise<boolean>;

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
   * task is released.
   */
  requeueTask(key: string, now: Date): Promise<TaskRecord | undefined>;
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

  // Events ------------------------------------------------------------------------------------
  /** Events with `seq > afterSeq`, oldest first. */
  readEvents(afterSeq: number, limit: number): Promise<TaskEvent[]>;
  lastEventSeq(): Promise<number>;
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
  /** Applies the changes (and `updatedAt` = the current time); undefined when there is no such foreman. */
  updateForeman(id: string, changes: ForemanChanges): Promise<ForemanRecord | undefined>;

  /** Idempotent; releases connections and handles. Pending `waitForChange` calls resolve; other calls then fail with KOLEJKA_UNAVAILABLE. */
  close(): Promise<void>;
}
