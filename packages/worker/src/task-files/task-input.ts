import { randomBytes } from 'node:crypto';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  TASK_SPEC_FILE,
  assertRunnable,
  isInside,
  noopLogger,
  pointerAppend,
  readTask,
  validationError,
  KolejkaError,
  type Logger,
  type TaskSpec,
  type ValidationIssue,
} from '@kolejka/spec';
import type { TaskFile } from './jail.js';

/** A task that passed every check the worker makes before touching Docker or the result dir. */
export interface ValidTask {
  task: TaskSpec & { id: string; image: string };
  taskDir: string;
  files: TaskFile[];
}

export interface ReadTaskOptions {
  /**
   * Follow symbolic links in the task dir wherever they lead (a user's own task dir, as
   * kolejka-judge writes it: links to absolute paths). Otherwise every file must resolve
   * inside the task dir (a dir made from what a server sent).
   */
  shouldFollowLinks: boolean;
  logger?: Logger;
}

/**
 * Reads and checks a task directory (reference §4.1 step 1, with path safety): a valid
 * spec, an image and args, every file with a local `path` that exists as a regular file
 * (inside the task dir once symlinks are resolved, unless links are followed), and `stdin`
 * naming one of the task's files. Every problem is reported at once, by JSON path. A
 * missing id gets a random one.
 */
export async function readValidTask(taskDir: string, options: ReadTaskOptions): Promise<ValidTask> {
  const logger = options.logger ?? noopLogger;
  const task = await readTask(taskDir);
  const issues: ValidationIssue[] = [];
  try {
    assertRunnable(task);
  } catch (error) {
    if (!(error instanceof KolejkaError)) throw error;
    issues.push(...error.issues);
  }
  const root = await realpath(taskDir);
  const files: TaskFile[] = [];
  for (const [name, file] of Object.entries(task.files)) {
    const pointer = pointerAppend('/files', name);
    if (name === TASK_SPEC_FILE) {
      issues.push({ path: pointer, message: `is reserved for the task spec itself` });
      continue;
    }
    if (file.path === undefined) {
      issues.push({
        path: pointer,
        message: 'has no local "path" (only a server reference): download the task first',
      });
      continue;
    }
    const found = await findLocalFile(root, file.path, options.shouldFollowLinks);
    if (typeof found === 'string') {
      issues.push({ path: `${pointer}/path`, message: found });
      continue;
    }
    files.push({ name, ...found });
  }
  if (task.stdin !== undefined && task.files[task.stdin] === undefined) {
    issues.push({
      path: '/stdin',
      message: `names ${JSON.stringify(task.stdin)}, which is not one of the task's files`,
    });
  }
  if (issues.length > 0) throw validationError(path.join(taskDir, TASK_SPEC_FILE), issues);
  let id = task.id;
  if (id === undefined || id === '') {
    id = randomBytes(16).toString('hex');
    logger.warn('task has no id; using a random one', { id });
  }
  return { task: { ...task, id, image: task.image as string }, taskDir: root, files };
}

/** The file a task names, resolved; or what is wrong with it. */
async function findLocalFile(
  root: string,
  relative: string,
  shouldFollowLinks: boolean,
): Promise<Omit<TaskFile, 'name'> | string> {
  const joined = path.join(root, relative);
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    return `${JSON.stringify(relative)} does not exist in the task directory`;
  }
  if (!shouldFollowLinks && (!isInside(root, real) || real === root)) {
    return `${JSON.stringify(relative)} leads outside the task directory`;
  }
  const stats = await stat(real);
  if (!stats.isFile()) return `${JSON.stringify(relative)} is not a regular file`;
  // A linked file is copied, never moved: its target is the user's, not the task dir's.
  return { source: real, isLinked: real !== joined };
}

/**
 * The result directory must be new or empty (the worker never deletes a user's files)
 * and must not be the task directory or lie inside it.
 */
export async function checkResultDir(resultDir: string, taskDir: string): Promise<void> {
  const target = path.resolve(resultDir);
  if (isInside(taskDir, target) || isInside(target, taskDir)) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The result directory ${resultDir} must not contain or lie inside the task directory`,
    );
  }
  let entries: string[];
  try {
    entries = await readdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `The result directory ${resultDir} cannot be used: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (entries.length > 0) {
    throw new KolejkaError(
      'KOLEJKA_CONFLICT',
      `The result directory ${resultDir} is not empty; give a new or empty directory`,
    );
  }
}
