import { chmod, copyFile, lstat, mkdir, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CONTAINER_RESULT_DIR,
  RESULT_SPEC_FILE,
  compareCodePoints,
  diskFullCode,
  noopLogger,
  resolveInside,
  type FilesSpec,
  type Logger,
} from '@kolejka/spec';
import { ContainerView } from '../container/paths.js';

/** Relative paths of the entries below `dir`, depth first; symlinked directories are not entered. */
async function walk(dir: string, prefix = ''): Promise<{ relative: string; isDir: boolean }[]> {
  const out: { relative: string; isDir: boolean }[] = [];
  let entries;
  try {
    entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    out.push({ relative, isDir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await walk(dir, relative)));
  }
  return out;
}

/**
 * Copies what the task wrote to /var/lib/kolejka/result (the jail's result dir) into the
 * result directory: regular files, and symlinks whose target (container semantics) is a
 * regular file inside that directory. The spec file name is reserved for the worker.
 */
export async function copyTaskResultFiles(
  jailResult: string,
  resultDir: string,
  logger: Logger = noopLogger,
): Promise<void> {
  const view = new ContainerView(jailResult, CONTAINER_RESULT_DIR);
  for (const { relative, isDir } of await walk(jailResult)) {
    if (isDir || relative === RESULT_SPEC_FILE) continue;
    const source = await view.resolve(relative);
    if (source === undefined) {
      logger.warn('result file leaves the result directory; skipped', { path: relative });
      continue;
    }
    const stats = await stat(source).catch(() => undefined);
    if (!stats?.isFile()) continue;
    try {
      const destination = resolveInside(resultDir, relative);
      await mkdir(path.dirname(destination), { recursive: true });
      await copyFile(source, destination);
    } catch (error) {
      // A full disk is the host's failure, not the task's: a result silently missing a
      // file would be taken for the task's verdict.
      if (diskFullCode(error) !== undefined) throw error;
      logger.warn('result file could not be stored', {
        path: relative,
        error: (error as Error).message,
      });
    }
  }
}

/** Moves a host-side file into the result dir (rename, or copy across file systems). */
export async function moveInto(source: string, resultDir: string, name: string): Promise<void> {
  const destination = resolveInside(resultDir, name);
  await mkdir(path.dirname(destination), { recursive: true });
  const existing = await lstat(destination).catch(() => undefined);
  if (existing?.isDirectory()) throw new Error(`${name} is a directory in the result`);
  try {
    await rename(source, destination);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(source, destination);
  }
}

/**
 * Lists every regular file of the result directory (except the spec file) as the result's
 * `files`, and gives them the original's modes: directories 0750, files 0640.
 */
export async function listResultFiles(resultDir: string): Promise<FilesSpec> {
  const files: FilesSpec = {};
  const entries = await walk(resultDir);
  entries.sort((a, b) => compareCodePoints(a.relative, b.relative));
  for (const { relative, isDir } of entries) {
    const full = path.join(resultDir, relative);
    if (isDir) {
      await chmod(full, 0o750);
      continue;
    }
    if (relative === RESULT_SPEC_FILE) continue;
    const stats = await lstat(full);
    if (!stats.isFile()) continue;
    await chmod(full, 0o640);
    files[relative] = { path: relative };
  }
  return files;
}
