import type { NewTaskLinks } from './dependency-records.js';
import type { LimitsJson, ResultSpecJson, TaskSpecJson, TaskState } from '@kolejka/spec';

/* The records the Store contract (store.ts) reads and writes; every engine returns copies. */

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
  // Queue control (issue 12): fair share and per-user limits, set by an admin -----------------
  /** Share of the foremen against other users queued at the same priority. Absent = 1. */
  weight?: number;
  /** Tasks of the user in `assigned`/`running` beyond which none is assigned. Absent = no limit. */
  maxRunning?: number;
  /** Tasks of the user in `waiting`/`queued` beyond which a submission is refused. Absent = no limit. */
  maxQueued?: number;
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
  /**
   * Queue control (issue 12): the task's place among tasks of its priority, set by a move
   * (`moveTask`); absent = its `createdAt` in milliseconds. The scheduler runs priority desc,
   * then this asc, then key.
   */
  queueOrder?: number;
  /** The schedule whose firing created the task (schedules, issue 12). */
  schedule?: string;
  // Task dependencies (issue 12) -------------------------------------------------------------
  /**
   * Only read by `createTask` (the task then starts `waiting`); `getTask` does not return it:
   * read the graph with `getTaskLinks`.
   */
  links?: NewTaskLinks;
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

/**
 * The most events `taskHistory` answers. A task gets a few events per attempt, so only one
 * requeued or re-run a few hundred times reaches it; its oldest events are then left out.
 */
export const TASK_HISTORY_LIMIT = 1000;

/** The orders `listTasks` pages in: newest first (createdAt desc, key desc) or oldest first (asc, asc). */
export const TASK_SORTS = ['newest', 'oldest'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];

export interface TaskFilter {
  owner?: string;
  /** Any of these states (an empty list matches nothing). */
  states?: TaskState[];
  /** Exclusive bounds on `createdAt`. */
  createdAfter?: Date;
  createdBefore?: Date;
  assignee?: string;
  /** Only tasks whose spec `requires` lists this tag. */
  tag?: string;
  /** Only tasks whose spec `image` is exactly this. */
  image?: string;
  /** Only tasks whose key contains this text, ignoring case (1 to 32 hex digits). */
  keyContains?: string;
  /** Default `newest`. A cursor continues only the order it was given in. */
  sort?: TaskSort;
}

/** What tasks did since a time (the dashboard overview, issue 13): see `Store.taskActivity`. */
export interface TaskActivity {
  /** `assignedAt - createdAt` (ms) of every task assigned at or after `since`, ascending. */
  waitsMs: number[];
  /**
   * Tasks that ended (finishedAt) at or after `since`, counted by state and by minute: minute
   * 0 starts at `since`. Only minutes with a count are listed, in no particular order.
   */
  ended: { minute: number; state: 'finished' | 'failed' | 'cancelled'; count: number }[];
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

// Queue control (issue 12) ----------------------------------------------------------------------

/** A hold on assignment: of the whole queue, or of the tasks that require one tag. */
export interface QueuePauseRecord {
  /** The tag whose tasks are held (those whose spec `requires` it); absent = the whole queue. */
  tag?: string;
  pausedBy: string;
  pausedAt: Date;
}

/** Where `moveTask` puts a task among the waiting and queued tasks of its priority. */
export type TaskPlacement = { to: 'front' | 'back' } | { before: string };

export type MoveOutcome =
  | { outcome: 'moved'; task: TaskRecord }
  | { outcome: 'not_found' }
  /** The task (or `before`) is not waiting or queued. */
  | { outcome: 'wrong_state'; key: string; state: TaskRecord['state'] }
  /** `before` names a task of another priority. */
  | { outcome: 'other_priority'; priority: number }
  /** `before` names no task. */
  | { outcome: 'before_not_found' }
  /** No number fits between the neighbours any more (after ~50 moves into one gap). */
  | { outcome: 'no_room' };

/** What `setUserQueuePolicy` may change; `null` removes a limit (back to the default). */
export interface UserQueuePolicyChanges {
  weight?: number | null;
  maxRunning?: number | null;
  maxQueued?: number | null;
}
