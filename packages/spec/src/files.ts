import { parseCount } from './value-grammar.js';

/** Where a file of a task or result is: a local `path` and/or a server blob `reference`. */
export interface FileSpec {
  path?: string;
  reference?: string;
}

export type FilesSpec = Record<string, FileSpec>;

/** Normalises `files` as the original: a bare string is a path, null means path = name. */
export function parseFiles(json: unknown): FilesSpec {
  const files: FilesSpec = {};
  if (json === null || typeof json !== 'object') return files;
  for (const [name, spec] of Object.entries(json as Record<string, unknown>)) {
    if (spec === null || spec === undefined) files[name] = { path: name };
    else if (typeof spec === 'string') files[name] = { path: spec };
    else {
      const { path, reference } = spec as { path?: unknown; reference?: unknown };
      const file: FileSpec = {};
      if (typeof path === 'string') file.path = path;
      if (typeof reference === 'string') file.reference = reference;
      files[name] = file;
    }
  }
  return files;
}

export function dumpFiles(files: FilesSpec): FilesSpec {
  return Object.fromEntries(
    Object.entries(files).map(([name, file]) => {
      const out: FileSpec = {};
      if (file.path !== undefined) out.path = file.path;
      if (file.reference !== undefined) out.reference = file.reference;
      return [name, out];
    }),
  );
}

/** Reads a `strip` count; exported for collect parsing. */
export const parseStrip = (value: unknown): number =>
  value === undefined || value === null ? 0 : parseCount(value);
