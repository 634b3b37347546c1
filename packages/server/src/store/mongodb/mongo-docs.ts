import type { ResultSpecJson, TaskSpecJson } from '@kolejka/spec';
import type { ScheduleRecord } from '../schedule-records.js';
import type {
  BlobRecord,
  ForemanRecord,
  ReferenceRecord,
  ResultRecord,
  SessionRecord,
  TaskEvent,
  TaskRecord,
  TokenRecord,
  UserRecord,
} from '../store-records.js';

/*
 * Documents as kept in MongoDB: the store's records, with `_id` for the record's natural key.
 * Specs are JSON text, because their keys (file names, environment variables) may contain `.`
 * or start with `$`, which MongoDB field names must not. Optional fields are absent (never
 * null).
 */

/** A record as a document: its natural key (`Key`) becomes `_id`. */
type DocOf<R, Key extends keyof R> = Omit<R, Key> & { _id: R[Key] };

export type UserDoc = DocOf<UserRecord, 'username'> & {
  /** Bumped when something is created for the user (see mongo-accounts). */
  revision?: number;
};

export type TokenDoc = DocOf<TokenRecord, 'id'>;

export type SessionDoc = DocOf<SessionRecord, 'keyHash'>;

export type BlobDoc = DocOf<BlobRecord, 'hash'> & {
  /** Last putBlob (restarts the gc grace period). */
  touchedAt: Date;
  /**
   * Bumped by every operation that makes something name the blob, inside its transaction:
   * the write conflicts with gc's removal of the record, so one of the two retries and sees
   * the other (snapshot isolation alone would let both commit).
   */
  claims?: number;
};

export type ReferenceDoc = DocOf<ReferenceRecord, 'key'>;

export type TaskDoc = DocOf<Omit<TaskRecord, 'spec'>, 'key'> & {
  spec: string;
  /** Distinct blob hashes of `spec.files` (indexed, for gc). */
  fileHashes: string[];
  /**
   * Copies of `spec.image` and `spec.requires` (the spec is stored as text), indexed for the
   * task list's filters. Written with the task; tasks stored before they existed get them
   * when a server opens the database (`backfillTaskSearch`).
   */
  image?: string;
  requires?: string[];
};

/** The searchable copies of a task spec's fields (see `TaskDoc`). */
export function taskSearchFields(spec: { image?: unknown; requires?: unknown }): {
  image: string;
  requires: string[];
} {
  return {
    image: typeof spec.image === 'string' ? spec.image : '',
    requires: Array.isArray(spec.requires)
      ? spec.requires.filter((tag): tag is string => typeof tag === 'string')
      : [],
  };
}

export type ResultDoc = DocOf<Omit<ResultRecord, 'spec'>, 'taskKey'> & {
  spec: string;
  fileHashes: string[];
};

export type EventDoc = DocOf<Omit<TaskEvent, 'isDeleted'>, 'seq'> & { isDeleted?: true };

export interface CounterDoc {
  _id: string;
  seq: number;
}

export type ForemanDoc = DocOf<ForemanRecord, 'id'>;

/** Copies only the fields that are present (drivers may hand back null for unset ones). */
function present<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

export const userFromDoc = (doc: UserDoc): UserRecord => ({
  username: doc._id,
  roles: [...doc.roles],
  ...present(doc, ['passwordHash', 'weight', 'maxRunning', 'maxQueued']),
  createdAt: doc.createdAt,
});

export const tokenFromDoc = (doc: TokenDoc): TokenRecord => ({
  id: doc._id,
  username: doc.username,
  tokenHash: doc.tokenHash,
  ...present(doc, ['label', 'lastUsedAt']),
  createdAt: doc.createdAt,
});

export const sessionFromDoc = (doc: SessionDoc): SessionRecord => ({
  keyHash: doc._id,
  username: doc.username,
  createdAt: doc.createdAt,
  expiresAt: doc.expiresAt,
});

export const blobFromDoc = (doc: BlobDoc): BlobRecord => ({
  hash: doc._id,
  size: doc.size,
  createdAt: doc.createdAt,
});

export const referenceFromDoc = (doc: ReferenceDoc): ReferenceRecord => ({
  key: doc._id,
  hash: doc.hash,
  owner: doc.owner,
  isPublic: doc.isPublic,
  createdAt: doc.createdAt,
  accessedAt: doc.accessedAt,
});

export const taskFromDoc = (doc: TaskDoc): TaskRecord => ({
  key: doc._id,
  owner: doc.owner,
  spec: JSON.parse(doc.spec) as TaskSpecJson,
  state: doc.state,
  priority: doc.priority,
  attempt: doc.attempt,
  lostCount: doc.lostCount,
  maxAttempts: doc.maxAttempts,
  ...present(doc, ['assignee', 'leaseExpiresAt', 'reason']),
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
  ...present(doc, ['assignedAt', 'startedAt', 'finishedAt']),
  ...present(doc, ['queueOrder']),
  ...present(doc, ['schedule']),
});

export const resultFromDoc = (doc: ResultDoc): ResultRecord => ({
  taskKey: doc._id,
  attempt: doc.attempt,
  spec: JSON.parse(doc.spec) as ResultSpecJson,
  poster: doc.poster,
  createdAt: doc.createdAt,
});

export const eventFromDoc = (doc: EventDoc): TaskEvent => ({
  seq: doc._id,
  taskKey: doc.taskKey,
  owner: doc.owner,
  state: doc.state,
  attempt: doc.attempt,
  ...present(doc, ['assignee', 'isDeleted', 'reason']),
  at: doc.at,
});

export const foremanFromDoc = (doc: ForemanDoc): ForemanRecord => ({
  id: doc._id,
  username: doc.username,
  tags: [...doc.tags],
  capacity: { ...doc.capacity },
  ...present(doc, ['version', 'serverId', 'lastHeartbeatAt']),
  isOnline: doc.isOnline,
  isDraining: doc.isDraining,
  updatedAt: doc.updatedAt,
});

// Queue control (issue 12) ----------------------------------------------------------------------

/** One queue pause; `_id` is its scope ('' = the whole queue, else the tag). */
export interface QueuePauseDoc {
  _id: string;
  pausedBy: string;
  pausedAt: Date;
}
/** A cron schedule (issue 12); `fileHashes` as a task's, so gc keeps the blobs it names. */
export type ScheduleDoc = DocOf<Omit<ScheduleRecord, 'spec'>, 'id'> & {
  spec: string;
  fileHashes: string[];
};

export const scheduleFromDoc = (doc: ScheduleDoc): ScheduleRecord => ({
  id: doc._id,
  owner: doc.owner,
  ...present(doc, ['name']),
  cron: doc.cron,
  timezone: doc.timezone,
  spec: JSON.parse(doc.spec) as TaskSpecJson,
  priority: doc.priority,
  overlap: doc.overlap,
  isPaused: doc.isPaused,
  ...present(doc, ['lastTickAt', 'lastFiredAt', 'lastTaskKey']),
  firedCount: doc.firedCount,
  skippedCount: doc.skippedCount,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});
