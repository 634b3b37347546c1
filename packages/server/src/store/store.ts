import type { LimitsJson, ResultSpecJson, TaskSpecJson } from '@kolejka/spec';

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

export const TASK_STATES = [
  'waiting',
  'queued',
  'assigned',
  'running',
  'finished',
  'failed',
  'cancelled',
] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['finished', 'failed', 'cancelled'];

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

export interface TaskEvent {
  seq: number;
  taskKey: string;
  owner: string;
  state: TaskState;
  attempt: number;
  assignee?: string;
  at: Date;
}

export interface TaskFilter {
  owner?: string;
  states?: TaskState[];
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
  task: TaskRecord;
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

  createToken(token: TokenRecord): Promise<void>;
  /** Looks a token up by the hash of its secret and records `lastUsedAt = now`. */
  useToken(tokenHash: string, now: Date): Promise<TokenRecord | undefined>;
  listTokens(username?: string): Promise<TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;

  createSession(session: SessionRecord): Promise<void>;
  /** Returns the session unless it is missing or expired at `now`. */
  getSession(keyHash: string, now: Date): Promise<SessionRecord | undefined>;
  deleteSession(keyHash: string): Promise<void>;

  // Blobs and references ----------------------------------------------------------------------
  /** Records a blob whose content the blob store holds; idempotent (keeps the first record). */
  putBlob(blob: BlobRecord): Promise<BlobRecord>;
  getBlob(hash: string): Promise<BlobRecord | undefined>;
  /** Removes the record only if no reference, task or result names the hash; returns whether it did. */
  removeBlobIfUnreferenced(hash: string): Promise<boolean>;
  /** Hashes that no reference, task file or result file names any more (for `gc`). */
  listUnreferencedBlobs(limit: number): Promise<BlobRecord[]>;
  /** Sum of sizes and count of all blob records (metrics). */
  blobTotals(): Promise<{ count: number; bytes: number }>;

  createReference(reference: ReferenceRecord): Promise<void>;
  getReference(key: string): Promise<ReferenceRecord | undefined>;
  /** A reference of `owner` to `hash`, creating one (new key) if it has none; idempotent. */
  ensureReference(owner: string, hash: string, now: Date, newKey: string): Promise<ReferenceRecord>;
  hasReference(owner: string, hash: string): Promise<boolean>;
  touchReference(key: string, now: Date): Promise<void>;
  deleteReference(key: string): Promise<boolean>;
  /** Deletes every reference to the hash (original `DELETE /blob/blob/<hash>/`); returns how many. */
  deleteReferencesToBlob(hash: string): Promise<number>;

  // Tasks -------------------------------------------------------------------------------------
  /** Inserts a task (state `queued` or `waiting`) and appends its event. */
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
  /** Removes the task and its result; returns whether it existed. */
  deleteTask(key: string): Promise<boolean>;

  /** `queued` → `assigned`: attempt + 1, assignee, lease. `undefined` when not queued any more (someone else won). */
  claimTask(key: string, claim: Claim): Promise<TaskRecord | undefined>;
  /** The foreman turned the assignment down: `assigned` (this attempt) → `queued`, attempt kept. */
  releaseTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined>;
  /** `assigned` (this attempt) → `running`. */
  startTask(key: string, attempt: number, now: Date): Promise<TaskRecord | undefined>;
  /** Extends the leases of the given tasks held by `assignee` (in `assigned`/`running`); returns the keys renewed. */
  renewLeases(
    assignee: string,
    tasks: { key: string; attempt: number }[],
    leaseExpiresAt: Date,
  ): Promise<string[]>;
  /** Stores the result of the current attempt and finishes the task, atomically, with fencing (see `FinishOutcome`). */
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
  /** Admin requeue: any state except `queued` → `queued`, clearing assignee, lease and result. */
  requeueTask(key: string, now: Date): Promise<TaskRecord | undefined>;
  /** Tasks in `assigned`/`running` whose lease ended before `now`: requeued, or failed after `maxAttempts` losses. */
  expireLeases(now: Date, reasonFor: (task: TaskRecord) => string): Promise<ExpiredLease[]>;

  getResult(taskKey: string): Promise<ResultRecord | undefined>;
  /**
   * Removes the result of a finished task and returns the task to `queued` (attempt kept,
   * assignee and lease cleared), so it runs again and can receive a new result — the
   * original's "delete the result, the task can then receive a new one". Returns whether
   * there was a result.
   */
  deleteResult(taskKey: string, now: Date): Promise<boolean>;

  // Events ------------------------------------------------------------------------------------
  /** Events with `seq > afterSeq`, oldest first. */
  readEvents(afterSeq: number, limit: number): Promise<TaskEvent[]>;
  lastEventSeq(): Promise<number>;
  /**
   * Resolves when the store may have new events (another process wrote), or after
   * `timeoutMs`. SQLite: watches `PRAGMA data_version`; MongoDB: a change stream.
   */
  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void>;

  // Foremen -----------------------------------------------------------------------------------
  upsertForeman(foreman: ForemanRecord): Promise<void>;
  getForeman(id: string): Promise<ForemanRecord | undefined>;
  listForemen(): Promise<ForemanRecord[]>;
  updateForeman(
    id: string,
    changes: Partial<
      Pick<
        ForemanRecord,
        'isOnline' | 'isDraining' | 'serverId' | 'lastHeartbeatAt' | 'tags' | 'capacity'
      >
    >,
  ): Promise<ForemanRecord | undefined>;

  /** Idempotent; releases connections and handles. */
  close(): Promise<void>;
}
