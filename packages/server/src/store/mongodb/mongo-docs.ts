import type { LimitsJson, ResultSpecJson, TaskSpecJson } from '@kolejka/spec';
import type {
  BlobRecord,
  ForemanRecord,
  ReferenceRecord,
  ResultRecord,
  Role,
  SessionRecord,
  TaskEvent,
  TaskRecord,
  TaskState,
  TokenRecord,
  UserRecord,
} from '../store.js';

/*
 * Documents as kept in MongoDB: `_id` is the record's natural key. Specs are JSON text,
 * because their keys (file names, environment variables) may contain `.` or start with `$`,
 * which MongoDB field names must not. Optional fields are absent (never null).
 */

export interface UserDoc {
  _id: string;
  roles: Role[];
  passwordHash?: string;
  createdAt: Date;
  /** Bumped when something is created for the user (see mongo-accounts). */
  revision?: number;
}

export interface TokenDoc {
  _id: string;
  username: string;
  tokenHash: string;
  label?: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

export interface SessionDoc {
  _id: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface BlobDoc {
  _id: string;
  size: number;
  createdAt: Date;
  /** Last putBlob (restarts the gc grace period). */
  touchedAt: Date;
  /**
   * Bumped by every operation that makes something name the blob, inside its transaction:
   * the write conflicts with gc's removal of the record, so one of the two retries and sees
   * the other (snapshot isolation alone would let both commit).
   */
  claims?: number;
}

export interface ReferenceDoc {
  _id: string;
  hash: string;
  owner: string;
  isPublic: boolean;
  createdAt: Date;
  accessedAt: Date;
}

export interface TaskDoc {
  _id: string;
  owner: string;
  spec: string;
  state: TaskState;
  priority: number;
  attempt: number;
  lostCount: number;
  maxAttempts: number;
  assignee?: string;
  leaseExpiresAt?: Date;
  reason?: string;
  createdAt: Date;
  updatedAt: Date;
  assignedAt?: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** Distinct blob hashes of `spec.files` (indexed, for gc). */
  fileHashes: string[];
}

export interface ResultDoc {
  _id: string;
  attempt: number;
  spec: string;
  poster: string;
  createdAt: Date;
  fileHashes: string[];
}

export interface EventDoc {
  _id: number;
  taskKey: string;
  owner: string;
  state: TaskState;
  attempt: number;
  assignee?: string;
  isDeleted?: true;
  reason?: string;
  at: Date;
}

export interface CounterDoc {
  _id: string;
  seq: number;
}

export interface ForemanDoc {
  _id: string;
  username: string;
  tags: string[];
  capacity: LimitsJson;
  version?: string;
  isOnline: boolean;
  isDraining: boolean;
  serverId?: string;
  lastHeartbeatAt?: Date;
  updatedAt: Date;
}

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
  ...present(doc, ['passwordHash']),
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
