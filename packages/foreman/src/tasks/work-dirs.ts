import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { noopLogger, type Logger, type TaskAttempt } from '@kolejka/spec';

const run = promisify(execFile);

/** The marker of a finished task whose result waits to be uploaded. */
export const SPOOL_FILE = 'spool.json';

/**
 * A task's directory under the foreman's temp dir: `task/` (inputs), `result/` (what the
 * worker wrote), `jail/` (the worker's per-run directory), and `spool.json` once the
 * result is complete and owed to the server.
 */
export interface WorkDir {
  root: string;
  taskDir: string;
  resultDir: string;
  jailDir: string;
}

export interface SpoolEntry extends TaskAttempt {
  workDir: WorkDir;
  /** When the result was spooled (ISO 8601). */
  spooledAt: string;
}

export function tasksRoot(tempDir: string): string {
  return path.join(tempDir, 'tasks');
}

export function workDirOf(tempDir: string, task: TaskAttempt): WorkDir {
  // Keys are 32 hex digits (checked by the protocol schema): safe as a file name.
  const root = path.join(tasksRoot(tempDir), `${task.key}.${task.attempt}`);
  return {
    root,
    taskDir: path.join(root, 'task'),
    resultDir: path.join(root, 'result'),
    jailDir: path.join(root, 'jail'),
  };
}

/**
 * Records that the result in `workDir` is complete and owed to the server (atomic); the
 * inputs and the worker's jail go first, so the spool holds only what must be kept.
 */
export async function spoolResult(
  workDir: WorkDir,
  task: TaskAttempt,
  logger: Logger = noopLogger,
): Promise<SpoolEntry> {
  await removeWorkDir(workDir.taskDir, logger);
  await removeWorkDir(workDir.jailDir, logger);
  const entry = { key: task.key, attempt: task.attempt, spooledAt: new Date().toISOString() };
  const temporary = path.join(workDir.root, `.${SPOOL_FILE}.tmp`);
  await writeFile(temporary, `${JSON.stringify(entry)}\n`);
  await rename(temporary, path.join(workDir.root, SPOOL_FILE));
  return { ...entry, workDir };
}

function parseEntryName(name: string): TaskAttempt | undefined {
  const match = /^([0-9a-f]{32})\.(\d+)$/.exec(name);
  if (match === null) return undefined;
  return { key: match[1] as string, attempt: Number(match[2]) };
}

/**
 * What an earlier run left: spooled results (kept: they are retried) and other task dirs
 * (work that died with the process: removed by the caller).
 */
export async function scanWorkDirs(
  tempDir: string,
  logger: Logger = noopLogger,
): Promise<{ spooled: SpoolEntry[]; abandoned: string[] }> {
  const root = tasksRoot(tempDir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const spooled: SpoolEntry[] = [];
  const abandoned: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    const task = parseEntryName(name);
    const dir = path.join(root, name);
    if (task === undefined) {
      abandoned.push(dir);
      continue;
    }
    const workDir = workDirOf(tempDir, task);
    try {
      const text = await readFile(path.join(dir, SPOOL_FILE), 'utf8');
      const entry = JSON.parse(text) as Partial<SpoolEntry>;
      if (entry.key !== task.key || entry.attempt !== task.attempt) throw new Error('mismatch');
      spooled.push({
        key: task.key,
        attempt: task.attempt,
        spooledAt: typeof entry.spooledAt === 'string' ? entry.spooledAt : '',
        workDir,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        logger.warn('unreadable spool entry; the task dir is removed', {
          dir,
          error: String(error),
        });
      abandoned.push(dir);
    }
  }
  return { spooled, abandoned };
}

/** Mount points at or below `dir` (a workspace tmpfs a killed worker left mounted). */
export async function mountsBelow(
  dir: string,
  mountsFile = '/proc/self/mounts',
): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(mountsFile, 'utf8');
  } catch {
    return [];
  }
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  return (
    text
      .split('\n')
      .map((line) => line.split(' ')[1])
      .filter((field): field is string => field !== undefined)
      // The kernel escapes spaces, tabs, newlines and backslashes as octal.
      .map((field) =>
        field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
          String.fromCharCode(parseInt(octal, 8)),
        ),
      )
      .filter((mount) => mount === dir || mount.startsWith(prefix))
      .sort((a, b) => b.length - a.length)
  );
}

/**
 * Removes a task dir, unmounting what a worker left mounted in it first. Mounts are looked
 * for only when removing fails (a busy mount point) or when asked: reading the mount table
 * on every task would cost more than the rest of the cleanup.
 */
export async function removeWorkDir(
  dir: string,
  logger: Logger = noopLogger,
  options: { isUnmountingFirst?: boolean } = {},
): Promise<void> {
  if (options.isUnmountingFirst !== true) {
    try {
      await rm(dir, { recursive: true, force: true });
      return;
    } catch (error) {
      logger.debug('removing a work dir failed; looking for mounts in it', {
        dir,
        error: String(error),
      });
    }
  }
  for (const mount of await mountsBelow(dir)) {
    try {
      await run('umount', ['-l', mount]);
    } catch (error) {
      logger.warn('could not unmount a leftover mount', { mount, error: String(error) });
    }
  }
  await rm(dir, { recursive: true, force: true });
}
