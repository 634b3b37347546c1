import { copyFile, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  CONTAINER_TASK_DIR,
  compareCodePoints,
  noopLogger,
  resolveInside,
  type CollectSpec,
  type Logger,
} from '@kolejka/spec';
import { ContainerView } from '../container/paths.js';
import { pythonGlob, type GlobEntry, type GlobFs } from './python-glob.js';

/** A glob file system over a directory as the container saw it (symlinks never escape). */
export function containerGlobFs(view: ContainerView): GlobFs {
  const isDirectory = async (relative: string): Promise<boolean> => {
    const host = await view.resolve(relative);
    if (host === undefined) return false;
    return stat(host).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
  };
  return {
    async list(dir) {
      const host = await view.resolve(dir);
      if (host === undefined) return [];
      let entries;
      try {
        entries = await readdir(host, { withFileTypes: true });
      } catch {
        return [];
      }
      const out: GlobEntry[] = [];
      for (const entry of entries) {
        const isSymlink = entry.isSymbolicLink();
        const isDir = isSymlink
          ? await isDirectory(dir === '' ? entry.name : `${dir}/${entry.name}`)
          : entry.isDirectory();
        out.push({ name: entry.name, isDir, isSymlink });
      }
      return out;
    },
    async lexists(file) {
      const host = await view.resolve(file, false);
      if (host === undefined) return false;
      return lstat(host).then(
        () => true,
        () => false,
      );
    },
    isDir: isDirectory,
  };
}

/** One file to collect: where it goes in the result and where its content is on the host. */
export interface CollectedFile {
  /** Destination, relative to the result directory. */
  name: string;
  /** The regular file whose content is copied (symlinks already resolved). */
  source: string;
}

/**
 * Evaluates `collect` rules against the task directory after the task ran, as the
 * original's stage2: matches of every rule, regular files only (a symlink counts when its
 * target, resolved with container semantics, is a regular file inside the task dir), in
 * reverse-sorted order of (is symlink, path, strip, prefix) so that for one destination
 * the last one wins; `strip` leading components removed (never the last), `prefix` in front.
 * Anything that would leave the task directory is never followed.
 */
export async function planCollect(
  taskRoot: string,
  rules: readonly CollectSpec[],
  logger: Logger = noopLogger,
): Promise<CollectedFile[]> {
  const view = new ContainerView(taskRoot, CONTAINER_TASK_DIR);
  const fs = containerGlobFs(view);
  const matches: { isLink: boolean; match: string; rule: CollectSpec; source: string }[] = [];
  for (const rule of rules) {
    for (const match of await pythonGlob(fs, rule.glob)) {
      const source = await view.resolve(match);
      if (source === undefined) {
        logger.warn('collect skips a path that leaves the task directory', { path: match });
        continue;
      }
      const stats = await stat(source).catch(() => undefined);
      if (!stats?.isFile()) continue;
      const self = await view.resolve(match, false);
      const link = self === undefined ? undefined : await lstat(self).catch(() => undefined);
      matches.push({ isLink: link?.isSymbolicLink() ?? false, match, rule, source });
    }
  }
  matches.sort(
    (a, b) =>
      Number(b.isLink) - Number(a.isLink) ||
      compareCodePoints(b.match, a.match) ||
      b.rule.strip - a.rule.strip ||
      compareCodePoints(b.rule.prefix, a.rule.prefix),
  );
  return matches.map(({ match, rule, source }) => {
    const parts = match.replace(/^\/+|\/+$/g, '').split('/');
    const stripped = parts.slice(Math.min(rule.strip, parts.length - 1)).join('/');
    return { name: rule.prefix === '' ? stripped : `${rule.prefix}/${stripped}`, source };
  });
}

/**
 * Copies planned files into `resultDir` in order (later ones overwrite earlier ones with
 * the same name). A destination that cannot be written (e.g. a file where a directory is
 * needed) is skipped with a warning rather than failing the whole result.
 */
export async function copyCollected(
  resultDir: string,
  files: readonly CollectedFile[],
  logger: Logger = noopLogger,
): Promise<void> {
  for (const file of files) {
    try {
      const destination = resolveInside(resultDir, file.name);
      await mkdir(path.dirname(destination), { recursive: true });
      const existing = await lstat(destination).catch(() => undefined);
      if (existing?.isDirectory()) throw new Error(`${file.name} is a directory in the result`);
      await copyFile(file.source, destination);
    } catch (error) {
      logger.warn('collect could not store a file', {
        name: file.name,
        error: (error as Error).message,
      });
    }
  }
}
