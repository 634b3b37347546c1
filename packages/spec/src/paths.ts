import path from 'node:path';
import { KolejkaError } from './errors.js';

/**
 * Paths that come from task and result specs (file names, stdin/stdout/stderr, collect
 * prefixes) are relative to a directory and must stay inside it, whatever the sender wrote.
 */

/** Why a relative path is unsafe, or `undefined` when it is safe. */
export function relativePathProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (value.includes('\0')) return 'contains a NUL character';
  if (value.startsWith('/')) return 'is absolute; give a path relative to the directory';
  const parts = value.split('/');
  if (parts.includes('..')) return 'has a ".." component, which would leave the directory';
  if (parts.includes('')) return 'has an empty component (a doubled or trailing "/")';
  if (parts.includes('.')) return 'has a "." component; write the path without it';
  return undefined;
}

export function isSafeRelativePath(value: string): boolean {
  return relativePathProblem(value) === undefined;
}

/**
 * Joins a relative path from a spec to `directory`, refusing anything that would resolve
 * outside it. Symlinks are the caller's business: check with `realpath` before following.
 */
export function resolveInside(directory: string, relative: string): string {
  const problem = relativePathProblem(relative);
  if (problem !== undefined) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Path ${JSON.stringify(relative)} ${problem}`);
  }
  const base = path.resolve(directory);
  const joined = path.resolve(base, relative);
  if (!isInside(base, joined)) {
    throw new KolejkaError('KOLEJKA_VALIDATION', `Path ${JSON.stringify(relative)} leaves ${base}`);
  }
  return joined;
}

/** Whether `candidate` (absolute) is `directory` itself or lies below it. */
export function isInside(directory: string, candidate: string): boolean {
  const relative = path.relative(directory, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
