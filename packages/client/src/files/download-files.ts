import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import {
  KolejkaError,
  isInside,
  pointerAppend,
  relativePathProblem,
  validationError,
  type FilesSpec,
  type Logger,
  type ValidationIssue,
} from '@kolejka/spec';
import { downloadBlob } from '../blobs/blob-transfer.js';
import type { ClientContext } from '../client-context.js';
import type { Transport } from '../http/transport.js';
import { localWriteError } from '../local-errors.js';
import type { ProgressOptions } from '../progress.js';
import { BLOB_HASH } from '../resources.js';
import { mapLimited } from './map-limited.js';

export interface DownloadFilesOptions extends ProgressOptions {
  transport: Transport;
  logger: Logger;
  idleTimeoutMs: number;
  concurrency: number;
}

/**
 * Problems with the names of a task's or result's files before anything is written: a
 * name must be a safe relative path (spec's rules: no `..`, not absolute, no NUL), must not
 * be the spec file itself, and must come with a blob hash to download.
 */
export function fileNameIssues(files: FilesSpec, specFile: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [name, file] of Object.entries(files)) {
    const pointer = pointerAppend('/files', name);
    const problem = relativePathProblem(name);
    if (problem !== undefined) {
      issues.push({ path: pointer, message: `name ${problem}` });
      continue;
    }
    if (name === specFile) {
      issues.push({ path: pointer, message: `would overwrite ${specFile} itself` });
      continue;
    }
    if (file.reference === undefined || !BLOB_HASH.test(file.reference)) {
      issues.push({
        path: pointerAppend(pointer, 'reference'),
        message: 'is not a blob hash (64 hex digits), so the file cannot be downloaded',
      });
    }
  }
  return issues;
}

/**
 * Downloads every file of a task or result into `dir` under its name and returns the files
 * as the local spec lists them (`path` = name, `reference` kept). Every name is checked
 * first, so a hostile list writes nothing at all; each target's directory is checked
 * again after symlinks are resolved, so a link inside `dir` cannot lead a file out of it.
 */
export async function downloadFiles(
  dir: string,
  files: FilesSpec,
  what: { label: string; specFile: string },
  options: DownloadFilesOptions,
): Promise<FilesSpec> {
  const issues = fileNameIssues(files, what.specFile);
  if (issues.length > 0) {
    throw validationError(`${what.label} (refused: nothing was written)`, issues);
  }
  let root: string;
  try {
    await mkdir(dir, { recursive: true });
    root = await realpath(dir);
  } catch (error) {
    throw localWriteError(dir, error);
  }
  const entries = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await mapLimited(entries, options.concurrency, async ([name, file]) => {
    const target = path.join(root, name);
    const parent = path.dirname(target);
    try {
      await mkdir(parent, { recursive: true });
    } catch (error) {
      throw localWriteError(target, error);
    }
    const realParent = await realpath(parent);
    if (!isInside(root, realParent)) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `${what.label}: file ${JSON.stringify(name)} would be written outside ${dir} through a symbolic link; refused`,
      );
    }
    await downloadBlob(
      options.transport,
      file.reference as string,
      path.join(realParent, path.basename(target)),
      {
        name,
        idleTimeoutMs: options.idleTimeoutMs,
        logger: options.logger,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      },
    );
  });
  return Object.fromEntries(
    Object.entries(files).map(([name, file]) => [
      name,
      { path: name, ...(file.reference === undefined ? {} : { reference: file.reference }) },
    ]),
  );
}

/** `downloadFiles` with a client's transport, logger, idle timeout and concurrency. */
export function downloadClientFiles(
  ctx: ClientContext,
  dir: string,
  files: FilesSpec,
  what: { label: string; specFile: string },
  options: ProgressOptions,
): Promise<FilesSpec> {
  return downloadFiles(dir, files, what, {
    transport: ctx.transport,
    logger: ctx.logger,
    idleTimeoutMs: ctx.options.idleTimeoutMs,
    concurrency: ctx.options.concurrency,
    ...options,
  });
}
