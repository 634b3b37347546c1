import path from 'node:path';
import {
  TASK_SPEC_FILE,
  assertRunnable,
  assertSchema,
  isKolejkaError,
  validationError,
  capLimits,
  dumpTask,
  parseLimits,
  parseTask,
  readTask,
  writeTask,
  type Limits,
  type LimitsJson,
  type TaskSpec,
  type TaskSpecJson,
  type TaskState,
} from '@kolejka/spec';
import type { ClientContext } from '../client-context.js';
import { downloadClientFiles } from '../files/download-files.js';
import { uploadFiles } from '../files/upload-files.js';
import type { ProgressOptions } from '../progress.js';
import {
  checkRemoteTask,
  checkTaskKey,
  checkTaskPage,
  type RemoteTask,
  type TaskPage,
} from '../resources.js';
import { dependencyFields, type DependencyOptions } from '../graph/graph-operations.js';

export interface PutTaskOptions extends ProgressOptions, DependencyOptions {
  /** Submit as a continuation of this task (it becomes the first dependency). */
  continuationOf?: string;
  /** Where the `path`s of a spec given as an object are (a task dir is its own base). */
  baseDir?: string;
  /** Limits combined with the task's (on top of the client's `limits`). */
  limits?: Limits | LimitsJson;
  /** Queue priority, -1000..1000 (higher first). */
  priority?: number;
}

export interface PutTaskResult {
  task: RemoteTask;
  /** How many files were actually sent (the rest were already held). */
  uploadedCount: number;
}

/**
 * Submits a task: reads the dir (validated by spec), uploads every local file (dedup),
 * caps its limits with the client's and the call's, and posts it. Returns the task record
 * with its server-issued key and state.
 */
export async function putTask(
  ctx: ClientContext,
  source: string | TaskSpec,
  options: PutTaskOptions = {},
): Promise<PutTaskResult> {
  const { spec, files, uploadedCount } = await uploadTask(ctx, source, options);
  const task = checkRemoteTask(
    await ctx.transport.json({
      method: 'POST',
      path:
        options.continuationOf === undefined
          ? '/api/v1/tasks'
          : `/api/v1/tasks/${checkTaskKey(options.continuationOf)}/continuations`,
      json: {
        task: spec,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...dependencyFields(options),
      },
      // Each POST makes a new task: never resent once it may have arrived.
      isIdempotent: false,
      signal: options.signal,
    }),
  );
  ctx.logger.info('task submitted', { task: task.key, files, uploadedCount });
  return { task, uploadedCount };
}

/**
 * What `putTask` does before posting, for whatever submits a task (a task, a schedule):
 * the spec read and checked, its files uploaded (dedup) and named by hash, its limits
 * capped with the client's and the call's.
 */
export async function uploadTask(
  ctx: ClientContext,
  source: string | TaskSpec,
  options: Omit<PutTaskOptions, 'priority'> = {},
): Promise<{ spec: TaskSpecJson; files: number; uploadedCount: number }> {
  const dir = typeof source === 'string' ? source : options.baseDir;
  const spec = typeof source === 'string' ? await readTask(source) : parseTask(dumpTask(source));
  const what = dir === undefined ? 'task' : path.join(dir, TASK_SPEC_FILE);
  try {
    // Checked before uploading anything: the server would refuse the task after the upload.
    assertRunnable(spec);
  } catch (error) {
    if (isKolejkaError(error, 'KOLEJKA_VALIDATION')) throw validationError(what, error.issues);
    throw error;
  }
  const { files, uploadedCount } = await uploadFiles(ctx, dir, spec.files, what, {
    ...options,
    shouldFollowLinks: true,
  });
  let limits = capLimits(spec.limits, ctx.options.limits);
  if (options.limits !== undefined) {
    assertSchema('limits', options.limits, 'limits');
    limits = capLimits(limits, parseLimits(options.limits));
  }
  return {
    spec: dumpTask({ ...spec, files, limits }),
    files: Object.keys(files).length,
    uploadedCount,
  };
}

export async function getTaskRecord(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
): Promise<RemoteTask> {
  return checkRemoteTask(
    await ctx.transport.json({
      method: 'GET',
      path: `/api/v1/tasks/${checkTaskKey(key)}`,
      isIdempotent: true,
      signal,
    }),
  );
}

/**
 * Downloads a task into `dir`: its files under their names, and `kolejka_task.json` with
 * `path` = name and the `reference` kept (so the dir can be run by a worker or put again).
 */
export async function getTask(
  ctx: ClientContext,
  key: string,
  dir: string,
  options: ProgressOptions = {},
): Promise<{ task: RemoteTask; spec: TaskSpec; dir: string }> {
  const task = await getTaskRecord(ctx, key, options.signal);
  const spec = parseTask(task.spec);
  const files = await downloadClientFiles(
    ctx,
    dir,
    spec.files,
    { label: `task ${key}`, specFile: TASK_SPEC_FILE },
    options,
  );
  const local: TaskSpec = { ...spec, files };
  await writeTask(dir, local);
  return { task, spec: local, dir: path.resolve(dir) };
}

/** What `listTasks` selects; every field is optional. */
export interface TaskFilter {
  states?: readonly TaskState[];
  /** Another user's tasks (inspectors, managers, admins). */
  owner?: string;
  createdAfter?: Date | string;
  createdBefore?: Date | string;
  /** Only tasks whose `requires` lists this tag. */
  tag?: string;
  /** Only tasks of exactly this image. */
  image?: string;
  /** Only tasks whose key contains this text (1-32 hex digits, any case). */
  keyContains?: string;
  /** `newest` (the server's default) or `oldest` first; a cursor continues its own order. */
  sort?: 'newest' | 'oldest';
  /** Page size, 1..1000 (server default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of tasks, newest first (`GET /api/v1/tasks`). */
export async function listTasks(
  ctx: ClientContext,
  filter: TaskFilter = {},
  signal?: AbortSignal,
): Promise<TaskPage> {
  const query = new URLSearchParams();
  if (filter.states !== undefined && filter.states.length > 0)
    query.set('state', filter.states.join(','));
  if (filter.owner !== undefined) query.set('owner', filter.owner);
  const time = (value: Date | string): string =>
    typeof value === 'string' ? value : value.toISOString();
  if (filter.createdAfter !== undefined) query.set('createdAfter', time(filter.createdAfter));
  if (filter.createdBefore !== undefined) query.set('createdBefore', time(filter.createdBefore));
  if (filter.tag !== undefined) query.set('tag', filter.tag);
  if (filter.image !== undefined) query.set('image', filter.image);
  if (filter.keyContains !== undefined) query.set('q', filter.keyContains);
  if (filter.sort !== undefined) query.set('sort', filter.sort);
  if (filter.limit !== undefined) query.set('limit', String(filter.limit));
  if (filter.cursor !== undefined) query.set('cursor', filter.cursor);
  const search = query.toString();
  return checkTaskPage(
    await ctx.transport.json({
      method: 'GET',
      path: `/api/v1/tasks${search === '' ? '' : `?${search}`}`,
      isIdempotent: true,
      signal,
    }),
  );
}

/** Every task the filter selects, page after page. */
export async function* iterateTasks(
  ctx: ClientContext,
  filter: TaskFilter = {},
  signal?: AbortSignal,
): AsyncGenerator<RemoteTask> {
  let cursor = filter.cursor;
  for (;;) {
    const page = await listTasks(
      ctx,
      { ...filter, ...(cursor === undefined ? {} : { cursor }) },
      signal,
    );
    yield* page.items;
    if (page.nextCursor === undefined || page.items.length === 0) return;
    cursor = page.nextCursor;
  }
}

/** Cancels an unfinished task; KOLEJKA_CONFLICT when it has already ended. */
export async function cancelTask(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
): Promise<RemoteTask> {
  return checkRemoteTask(
    await ctx.transport.json({
      method: 'POST',
      path: `/api/v1/tasks/${checkTaskKey(key)}/cancel`,
      isIdempotent: false,
      signal,
    }),
  );
}

/**
 * Puts an ended (finished, failed, cancelled) task back in the queue to run again, its result
 * removed; KOLEJKA_CONFLICT when it has not ended. Its dependents are not touched.
 */
export async function requeueTask(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
): Promise<RemoteTask> {
  return checkRemoteTask(
    await ctx.transport.json({
      method: 'POST',
      path: `/api/v1/tasks/${checkTaskKey(key)}/requeue`,
      isIdempotent: false,
      signal,
    }),
  );
}

/**
 * Deletes a task and its result (cancelling it first if it still runs). Refused while tasks
 * wait on it, unless `isCascade`: then they are cancelled too.
 */
export async function deleteTask(
  ctx: ClientContext,
  key: string,
  signal?: AbortSignal,
  isCascade = false,
): Promise<void> {
  await ctx.transport.send({
    method: 'DELETE',
    path: `/api/v1/tasks/${checkTaskKey(key)}${isCascade ? '?cascade=true' : ''}`,
    isIdempotent: false,
    signal,
  });
}
