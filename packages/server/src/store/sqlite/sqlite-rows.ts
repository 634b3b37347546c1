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

/* Rows as SQLite returns them, and their conversion to the store's records. */

export interface UserRow {
  username: string;
  roles: string;
  password_hash: string | null;
  created_at: number;
  weight?: number | null;
  max_running?: number | null;
  max_queued?: number | null;
}

export interface TokenRow {
  id: string;
  username: string;
  token_hash: string;
  label: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface SessionRow {
  key_hash: string;
  username: string;
  created_at: number;
  expires_at: number;
}

export interface BlobRow {
  hash: string;
  size: number;
  created_at: number;
}

export interface ReferenceRow {
  key: string;
  hash: string;
  owner: string;
  is_public: number;
  created_at: number;
  accessed_at: number;
}

export interface TaskRow {
  key: string;
  owner: string;
  spec: string;
  state: TaskState;
  priority: number;
  attempt: number;
  lost_count: number;
  max_attempts: number;
  assignee: string | null;
  lease_expires_at: number | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  assigned_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  queue_order?: number | null;
  schedule_id: string | null;
}

export interface ResultRow {
  task_key: string;
  attempt: number;
  spec: string;
  poster: string;
  created_at: number;
}

export interface EventRow {
  seq: number;
  task_key: string;
  owner: string;
  state: TaskState;
  attempt: number;
  assignee: string | null;
  is_deleted: number;
  reason: string | null;
  at: number;
}

export interface ForemanRow {
  id: string;
  username: string;
  tags: string;
  capacity: string;
  version: string | null;
  is_online: number;
  is_draining: number;
  server_id: string | null;
  last_heartbeat_at: number | null;
  updated_at: number;
}

const date = (ms: number): Date => new Date(ms);
/** Spreads `{ [name]: value }` only when the column is not NULL (optional record fields). */
const optional = <K extends string, V>(name: K, value: V | null): { [P in K]?: V } =>
  (value === null ? {} : { [name]: value }) as { [P in K]?: V };
const optionalDate = <K extends string>(name: K, ms: number | null): { [P in K]?: Date } =>
  optional(name, ms === null ? null : date(ms));

export const userFromRow = (row: UserRow): UserRecord => ({
  username: row.username,
  roles: JSON.parse(row.roles) as Role[],
  ...optional('passwordHash', row.password_hash),
  createdAt: date(row.created_at),
  ...optional('weight', row.weight ?? null),
  ...optional('maxRunning', row.max_running ?? null),
  ...optional('maxQueued', row.max_queued ?? null),
});

export const tokenFromRow = (row: TokenRow): TokenRecord => ({
  id: row.id,
  username: row.username,
  tokenHash: row.token_hash,
  ...optional('label', row.label),
  createdAt: date(row.created_at),
  ...optionalDate('lastUsedAt', row.last_used_at),
});

export const sessionFromRow = (row: SessionRow): SessionRecord => ({
  keyHash: row.key_hash,
  username: row.username,
  createdAt: date(row.created_at),
  expiresAt: date(row.expires_at),
});

export const blobFromRow = (row: BlobRow): BlobRecord => ({
  hash: row.hash,
  size: row.size,
  createdAt: date(row.created_at),
});

export const referenceFromRow = (row: ReferenceRow): ReferenceRecord => ({
  key: row.key,
  hash: row.hash,
  owner: row.owner,
  isPublic: row.is_public !== 0,
  createdAt: date(row.created_at),
  accessedAt: date(row.accessed_at),
});

export const taskFromRow = (row: TaskRow): TaskRecord => ({
  key: row.key,
  owner: row.owner,
  spec: JSON.parse(row.spec) as TaskSpecJson,
  state: row.state,
  priority: row.priority,
  attempt: row.attempt,
  lostCount: row.lost_count,
  maxAttempts: row.max_attempts,
  ...optional('assignee', row.assignee),
  ...optionalDate('leaseExpiresAt', row.lease_expires_at),
  ...optional('reason', row.reason),
  createdAt: date(row.created_at),
  updatedAt: date(row.updated_at),
  ...optionalDate('assignedAt', row.assigned_at),
  ...optionalDate('startedAt', row.started_at),
  ...optionalDate('finishedAt', row.finished_at),
  ...optional('queueOrder', row.queue_order ?? null),
  ...optional('schedule', row.schedule_id),
});

export const resultFromRow = (row: ResultRow): ResultRecord => ({
  taskKey: row.task_key,
  attempt: row.attempt,
  spec: JSON.parse(row.spec) as ResultSpecJson,
  poster: row.poster,
  createdAt: date(row.created_at),
});

export const eventFromRow = (row: EventRow): TaskEvent => ({
  seq: row.seq,
  taskKey: row.task_key,
  owner: row.owner,
  state: row.state,
  attempt: row.attempt,
  ...optional('assignee', row.assignee),
  ...(row.is_deleted !== 0 ? { isDeleted: true } : {}),
  ...optional('reason', row.reason),
  at: date(row.at),
});

export const foremanFromRow = (row: ForemanRow): ForemanRecord => ({
  id: row.id,
  username: row.username,
  tags: JSON.parse(row.tags) as string[],
  capacity: JSON.parse(row.capacity) as LimitsJson,
  ...optional('version', row.version),
  isOnline: row.is_online !== 0,
  isDraining: row.is_draining !== 0,
  ...optional('serverId', row.server_id),
  ...optionalDate('lastHeartbeatAt', row.last_heartbeat_at),
  updatedAt: date(row.updated_at),
});

/** A Date (or nothing) as the integer milliseconds SQLite keeps. */
export const ms = (value: Date | undefined): number | null =>
  value === undefined ? null : value.getTime();
