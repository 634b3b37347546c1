import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isInside,
  pointerAppend,
  relativePathProblem,
  type FilesSpec,
  type ValidationIssue,
} from '@kolejka/spec';

/** A file of a local task or result dir, checked and ready to upload. */
export interface LocalFile {
  name: string;
  /** Absolute path on this machine. */
  source: string;
}

export interface LocalFilesOptions {
  /**
   * Follow symbolic links wherever they lead. A task dir the user made on this machine is
   * theirs (kolejka-judge writes one of links to absolute paths, as the original client
   * uploads); a result dir was written by task code, so its links must stay inside it.
   */
  shouldFollowLinks: boolean;
}

/**
 * Finds the local files a spec names (`path` relative to `dir`). Each must exist as a
 * regular file; unless links are followed, inside `dir` once symlinks are resolved (a
 * result dir cannot smuggle a file from elsewhere on the machine to the server). Files
 * with only a `reference` stay remote. Every problem is listed (with its JSON path) rather
 * than only the first.
 */
export async function localFiles(
  dir: string | undefined,
  files: FilesSpec,
  options: LocalFilesOptions,
): Promise<{ local: LocalFile[]; issues: ValidationIssue[] }> {
  const issues: ValidationIssue[] = [];
  const local: LocalFile[] = [];
  let root: string | undefined;
  if (dir !== undefined) {
    try {
      root = await realpath(dir);
    } catch {
      issues.push({ path: '', message: `the directory ${dir} does not exist` });
      return { local, issues };
    }
  }
  for (const [name, file] of Object.entries(files)) {
    const pointer = pointerAppend('/files', name);
    if (file.path === undefined) {
      if (file.reference === undefined) {
        issues.push({ path: pointer, message: 'has neither a local "path" nor a "reference"' });
      }
      continue;
    }
    const problem = relativePathProblem(file.path);
    if (problem !== undefined) {
      issues.push({ path: `${pointer}/path`, message: problem });
      continue;
    }
    if (root === undefined) {
      issues.push({
        path: `${pointer}/path`,
        message: 'is a local path, but no directory was given to find it in',
      });
      continue;
    }
    const joined = path.join(root, file.path);
    let real: string;
    try {
      real = await realpath(joined);
    } catch {
      issues.push({
        path: `${pointer}/path`,
        message: `${JSON.stringify(file.path)} does not exist`,
      });
      continue;
    }
    if (!options.shouldFollowLinks && (!isInside(root, real) || real === root)) {
      issues.push({
        path: `${pointer}/path`,
        message: `${JSON.stringify(file.path)} leads outside the directory (a symbolic link?)`,
      });
      continue;
    }
    if (!(await stat(real)).isFile()) {
      issues.push({
        path: `${pointer}/path`,
        message: `${JSON.stringify(file.path)} is not a regular file`,
      });
      continue;
    }
    local.push({ name, source: real });
  }
  return { local, issues };
}
