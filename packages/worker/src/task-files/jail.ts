import { execFile } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  realpath,
  rename,
  rm,
  rmdir,
  unlink,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  KolejkaError,
  noopLogger,
  writeTask,
  type FilesSpec,
  type Logger,
  type TaskSpec,
} from '@kolejka/spec';

const run = promisify(execFile);

/** A file of the task: its name in the task dir (container side) and where it is now. */
export interface TaskFile {
  name: string;
  /** The file itself, symbolic links resolved. */
  source: string;
  /** Reached through a symbolic link: copied even when consuming (the target is not ours). */
  isLinked?: boolean;
}

/**
 * The per-task directory on the host (mode 0700, so other host users see nothing):
 *   work/         a tmpfs of the `workspace` size when that limit is set
 *   work/task/    bound at /var/lib/kolejka/task: the files and kolejka_task.json
 *   work/result/  bound at /var/lib/kolejka/result
 *   output/       stdout/stderr captures, out of the container's reach and of the tmpfs
 */
export interface Jail {
  root: string;
  taskDir: string;
  resultDir: string;
  outputDir: string;
  tmpfs: boolean;
}

export interface CreateJailOptions {
  tempDir: string;
  /** The task, written into the task dir naming its files there (judges read it). */
  task: TaskSpec;
  files: readonly TaskFile[];
  /** Size of the tmpfs for task and result dirs, in bytes. */
  workspaceBytes?: number;
  /** Move the files instead of copying them. */
  consume: boolean;
  logger?: Logger;
  /** Mounts the workspace (a seam for tests). Default: `mount -t tmpfs`. */
  mountWorkspace?: (dir: string, bytes: number) => Promise<void>;
}

export async function createJail(options: CreateJailOptions): Promise<Jail> {
  await mkdir(options.tempDir, { recursive: true });
  const root = await realpath(await mkdtemp(path.join(options.tempDir, 'kolejka-worker-')));
  const work = path.join(root, 'work');
  const jail: Jail = {
    root,
    taskDir: path.join(work, 'task'),
    resultDir: path.join(work, 'result'),
    outputDir: path.join(root, 'output'),
    tmpfs: false,
  };
  try {
    await Promise.all([mkdir(work), mkdir(jail.outputDir)]);
    if (options.workspaceBytes !== undefined) {
      jail.tmpfs = await mountWorkspace(work, options.workspaceBytes, options);
    }
    await Promise.all([mkdir(jail.taskDir), mkdir(jail.resultDir)]);
    // Writable whatever user the image runs as; the jail root (0700) hides them on the host.
    await Promise.all([chmod(jail.taskDir, 0o777), chmod(jail.resultDir, 0o777)]);
    await placeFiles(jail.taskDir, options.files, options.consume);
    await writeJailedTask(jail.taskDir, options.task, options.files);
  } catch (error) {
    await removeJail(jail, options.logger);
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        'The task files do not fit in its workspace limit (limits.workspace)',
        { cause: error },
      );
    }
    throw error;
  }
  return jail;
}

async function placeFiles(
  taskDir: string,
  files: readonly TaskFile[],
  consume: boolean,
): Promise<void> {
  const made = new Set<string>();
  for (const file of files) {
    const destination = path.join(taskDir, file.name);
    const parent = path.dirname(destination);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true, mode: 0o777 });
      made.add(parent);
    }
    if (consume && file.isLinked !== true) {
      try {
        await rename(file.source, destination);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        await copyFile(file.source, destination);
        await unlink(file.source);
      }
    } else {
      await copyFile(file.source, destination);
    }
    // As the original's stage2 (chmod 0750): scripts run without chmod; readable by any user.
    await chmod(destination, 0o755);
  }
}

/** As the original's stage0: the task spec beside its files, every file by its name. */
async function writeJailedTask(
  taskDir: string,
  task: TaskSpec,
  files: readonly TaskFile[],
): Promise<void> {
  const named: FilesSpec = {};
  for (const file of files) named[file.name] = { path: file.name };
  await writeTask(taskDir, { ...task, files: named });
}

async function mountTmpfs(dir: string, bytes: number): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'kolejka-workspace', dir]);
}

/**
 * Whether the workspace is bounded. A worker that cannot mount (not root) still runs the
 * task, as Docker does with a storage limit it cannot enforce: the result then lists
 * `workspace` as not enforced (every task has one by default, so failing would fail all).
 */
async function mountWorkspace(
  dir: string,
  bytes: number,
  { mountWorkspace: mount = mountTmpfs, logger = noopLogger }: CreateJailOptions,
): Promise<boolean> {
  try {
    await mount(dir, bytes);
    return true;
  } catch (error) {
    logger.warn(
      'the workspace limit is not enforced: no tmpfs could be mounted (is the worker root?)',
      {
        dir,
        error: (error as Error).message.trim(),
      },
    );
    return false;
  }
}

/** Unmounts the tmpfs (if any) and removes the jail; idempotent, never throws. */
export async function removeJail(jail: Jail, logger: Logger = noopLogger): Promise<void> {
  if (jail.tmpfs) {
    const work = path.dirname(jail.taskDir);
    try {
      await run('umount', [work]);
      jail.tmpfs = false;
    } catch (error) {
      // Busy (should not happen once the container is gone): detach it lazily.
      try {
        await run('umount', ['-l', work]);
        jail.tmpfs = false;
      } catch {
        logger.error('cannot unmount the workspace tmpfs', {
          dir: work,
          error: (error as Error).message,
        });
        return;
      }
    }
  }
  try {
    await rm(jail.root, { recursive: true, force: true });
  } catch (error) {
    logger.error('cannot remove the jail', { dir: jail.root, error: (error as Error).message });
    await rmdir(jail.root).catch(() => undefined);
  }
}
