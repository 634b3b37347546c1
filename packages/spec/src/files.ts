import { parseCount } from './value-grammar.js';

/** Where a file of a task or result is: a local `path` and/or a server blob `reference`. */
export interface FileSpec {
  path?: string;
  reference?: string;
}

export type FilesSpec = Record<string, FileSpec>;

/** Normalises `files` as the original: a bare string is a path, null means path = name. */
export function parseFiles(json: unknown): FilesSpec {
  if (json === null || typeof json !== 'object') return {};
  // fromEntries defines own properties, so a file named "__proto__" stays a file.
  return Object.fromEntries(
    Object.entries(json as Record<string, unknown>).map(([name, spec]) => [
      name,
      parseFileSpec(name, spec),
    ]),
  );
}

function parseFileSpec(name: string, spec: unknown): FileSpec {
  if (spec === null || spec === undefined) return { path: name };
  if (typeof spec === 'string') return { path: spec };
  const { path, reference } = spec as { path?: unknown; reference?: unknown };
  const file: FileSpec = {};
  if (typeof path === 'string') file.path = path;
  if (typeof reference === 'string') file.reference = reference;
  return file;
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
