import { KolejkaError, canonicalJson, type FilesSpec } from '@kolejka/spec';
import type {
  FinishOutcome,
  ResultRecord,
  Role,
  TaskFilter,
  TaskRecord,
  TaskSort,
  TaskState,
} from './store.js';
import { ROLES, TASK_SORTS, TASK_STATES, TERMINAL_TASK_STATES } from './store.js';
import { isBlobHash } from './blob-hash.js';

/*
 * Rules shared by the engines, kept pure so both decide the same way; each engine applies
 * them inside its own atomic operation.
 */

/** States from which `cancelTask` / `failTask` move a task. */
export const ACTIVE_TASK_STATES: readonly TaskState[] = TASK_STATES.filter(
  (state) => !TERMINAL_TASK_STATES.includes(state),
);
/** States in which a lease is held. */
export const LEASED_TASK_STATES: readonly TaskState[] = ['assigned', 'running'];

export const MAX_PAGE_SIZE = 10_000;

/** How precisely `useToken` keeps `lastUsedAt` (see the Store doc). */
export const TOKEN_USE_RESOLUTION_MS = 60_000;

export function assertLimit(limit: number, what = 'limit'): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid ${what} ${String(limit)}: give an integer from 1 to ${MAX_PAGE_SIZE}`,
    );
}

export function assertRoles(roles: readonly string[]): asserts roles is Role[] {
  for (const role of roles)
    if (!(ROLES as readonly string[]).includes(role))
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `Unknown role ${JSON.stringify(role)}: use ${ROLES.join(', ')}`,
      );
}

export function assertStates(states: readonly string[] | undefined): void {
  for (const state of states ?? [])
    if (!(TASK_STATES as readonly string[]).includes(state))
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `Unknown task state ${JSON.stringify(state)}: use ${TASK_STATES.join(', ')}`,
      );
}

/** Checks what `listTasks` is given; returns `keyContains` in lower case (keys are lower-case hex). */
export function assertTaskFilter(filter: TaskFilter): { keyContains?: string; sort: TaskSort } {
  assertStates(filter.states);
  const sort = filter.sort ?? 'newest';
  if (!(TASK_SORTS as readonly string[]).includes(sort))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Unknown task sort ${JSON.stringify(sort)}: use ${TASK_SORTS.join(' or ')}`,
    );
  if (filter.keyContains === undefined) return { sort };
  const keyContains = filter.keyContains.toLowerCase();
  if (!/^[0-9a-f]{1,32}$/.test(keyContains))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid key search ${JSON.stringify(filter.keyContains.slice(0, 40))}: task keys are 32 hex digits, search for 1 to 32 of them`,
    );
  return { keyContains, sort };
}

export function assertBlobHash(hash: string): void {
  if (!isBlobHash(hash))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `Invalid blob hash ${JSON.stringify(hash)}: expected 64 lowercase hex digits (SHA-256)`,
    );
}

/** One blob a task or result names: the file name (for messages) and the hash. */
export interface FileBlob {
  name: string;
  hash: string;
}

/** The blobs named by `files[*].reference`; each must be a SHA-256 hash. */
export function fileBlobs(files: FilesSpec, what: 'task' | 'result'): FileBlob[] {
  const out: FileBlob[] = [];
  for (const [name, file] of Object.entries(files)) {
    if (file.reference === undefined) continue;
    if (!isBlobHash(file.reference))
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `Invalid ${what} files[${JSON.stringify(name)}].reference ${JSON.stringify(file.reference)}: the store keeps blob hashes (64 lowercase hex digits)`,
      );
    out.push({ name, hash: file.reference });
  }
  return out;
}

export function unknownBlobError(what: 'task' | 'result', blob: FileBlob): KolejkaError {
  return new KolejkaError(
    'KOLEJKA_NOT_FOUND',
    `The ${what} file ${JSON.stringify(blob.name)} names blob ${blob.hash}, which is not stored`,
  );
}

/** Distinct hashes, in first-seen order. */
export function distinctHashes(blobs: readonly FileBlob[]): string[] {
  return [...new Set(blobs.map((blob) => blob.hash))];
}

/** Checks a task handed to `createTask`. */
export function assertNewTask(task: TaskRecord): FileBlob[] {
  if (task.state !== 'queued' && task.state !== 'waiting')
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `A new task must be queued or waiting, not ${JSON.stringify(task.state)}`,
    );
  if (task.spec.id !== undefined && task.spec.id !== task.key)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The task spec id ${JSON.stringify(task.spec.id)} differs from the task key ${task.key}`,
    );
  for (const [name, value] of [
    ['priority', task.priority],
    ['attempt', task.attempt],
    ['lostCount', task.lostCount],
    ['maxAttempts', task.maxAttempts],
  ] as const)
    if (!Number.isSafeInteger(value) || (name !== 'priority' && value < 0))
      throw new KolejkaError('KOLEJKA_VALIDATION', `Invalid task ${name} ${String(value)}`);
  if (task.maxAttempts < 1)
    throw new KolejkaError('KOLEJKA_VALIDATION', 'Invalid task maxAttempts: it must be at least 1');
  return fileBlobs(task.spec.files, 'task');
}

export function assertResultFor(key: string, result: ResultRecord): FileBlob[] {
  if (result.taskKey !== key)
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The result names task ${result.taskKey}, not ${key}`,
    );
  return fileBlobs(result.spec.files, 'result');
}

/** Spec text as stored: compact JSON (canonical form is only for comparisons). */
export function specText(spec: unknown): string {
  return JSON.stringify(spec);
}

/** Whether two stored spec texts describe the same spec (key order and float form ignored). */
export function isSameSpec(storedText: string, spec: unknown): boolean {
  return canonicalJson(JSON.parse(storedText)) === canonicalJson(spec);
}

/**
 * What `finishTask` answers without writing anything, decided from the current task and the
 * stored result (see the `Store.finishTask` doc); `undefined` means: store the result and
 * finish the task.
 */
export function refuseFinish(
  task: TaskRecord,
  stored: ResultRecord | undefined,
  attempt: number,
  resultSpecText: string,
): Exclude<FinishOutcome, { outcome: 'stored' | 'not_found' }> | undefined {
  if (stored !== undefined) {
    if (stored.attempt !== attempt) return { outcome: 'stale', task };
    const isSame = isSameSpec(specText(stored.spec), JSON.parse(resultSpecText));
    return { outcome: isSame ? 'duplicate' : 'conflict', task, result: stored };
  }
  if (attempt !== task.attempt || !LEASED_TASK_STATES.includes(task.state))
    return { outcome: 'stale', task };
  return undefined;
}

export function emptyStateCounts(): Record<TaskState, number> {
  return Object.fromEntries(TASK_STATES.map((state) => [state, 0])) as Record<TaskState, number>;
}
