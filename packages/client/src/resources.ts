import { KolejkaError, TASK_STATES, type ResultView, type TaskView } from '@kolejka/spec';

/** A task as API v1 shows it (`GET /api/v1/tasks/{key}`); the shape is spec's. */
export type RemoteTask = TaskView;

/** A result as API v1 shows it (`GET /api/v1/tasks/{key}/result`); the shape is spec's. */
export type RemoteResult = ResultView;

/** A stored blob (`PUT /api/v1/blobs/{hash}`). */
export interface RemoteBlob {
  hash: string;
  size: number;
  createdAt: string;
}

/** One page of `GET /api/v1/tasks`. */
export interface TaskPage {
  items: RemoteTask[];
  nextCursor?: string;
}

/** A token made by `POST /api/v1/tokens`; `token` is the secret, shown only once. */
export interface NewToken {
  id: string;
  token: string;
  username: string;
  roles: string[];
  label?: string;
  createdAt: string;
}

export const TASK_KEY = /^[0-9a-f]{32}$/;
export const BLOB_HASH = /^[0-9a-f]{64}$/;

function unexpected(what: string, problem: string): KolejkaError {
  return new KolejkaError('KOLEJKA_INTERNAL', `Unexpected ${what} from the server: ${problem}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the parts of a task reply the client relies on (the key goes into paths). */
export function checkRemoteTask(value: unknown): RemoteTask {
  if (!isObject(value)) throw unexpected('task', 'not an object');
  if (typeof value.key !== 'string' || !TASK_KEY.test(value.key)) {
    throw unexpected('task', `key ${JSON.stringify(value.key)} is not 32 hex digits`);
  }
  if (!(TASK_STATES as readonly unknown[]).includes(value.state)) {
    throw unexpected('task', `state ${JSON.stringify(value.state)} is unknown`);
  }
  if (!isObject(value.spec)) throw unexpected('task', 'no spec');
  return value as unknown as RemoteTask;
}

export function checkRemoteResult(value: unknown): RemoteResult {
  if (!isObject(value) || !isObject(value.spec)) throw unexpected('result', 'no spec');
  return value as unknown as RemoteResult;
}

export function checkTaskPage(value: unknown): TaskPage {
  if (!isObject(value) || !Array.isArray(value.items)) throw unexpected('task list', 'no items');
  return {
    items: value.items.map(checkRemoteTask),
    ...(typeof value.nextCursor === 'string' ? { nextCursor: value.nextCursor } : {}),
  };
}

/** Refuses task keys that are not 32 hex digits before they go into a URL. */
export function checkTaskKey(key: string): string {
  if (!TASK_KEY.test(key)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(key)} is not a task key (32 lowercase hex digits)`,
    );
  }
  return key;
}

export function checkBlobHash(hash: string): string {
  if (!BLOB_HASH.test(hash)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `${JSON.stringify(hash)} is not a blob hash (64 lowercase hex digits of SHA-256)`,
    );
  }
  return hash;
}
