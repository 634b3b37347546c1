import { fnmatchRegExp, hasMagic } from './fnmatch.js';

/** One directory entry as the glob sees it. */
export interface GlobEntry {
  name: string;
  /** A directory, or a symlink to a directory that may be followed. */
  isDir: boolean;
  isSymlink: boolean;
}

/** The file system a glob walks, with paths relative to its root ("" is the root). */
export interface GlobFs {
  /** Entries of a directory, or [] when it is not a readable directory. */
  list(dir: string): Promise<GlobEntry[]>;
  /** Whether something (even a dangling symlink) exists at the path. */
  lexists(file: string): Promise<boolean>;
  isDir(dir: string): Promise<boolean>;
}

const isHidden = (name: string): boolean => name.startsWith('.');
const isRecursive = (pattern: string): boolean => pattern === '**';

function split(pathname: string): [string, string] {
  const slash = pathname.lastIndexOf('/');
  if (slash < 0) return ['', pathname];
  const head = pathname.slice(0, slash + 1);
  // os.path.split strips trailing slashes from the head unless it is all slashes.
  const trimmed = head.replace(/\/+$/, '');
  return [trimmed === '' ? head : trimmed, pathname.slice(slash + 1)];
}

function join(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * Python's `glob.glob(pattern, recursive=True)` relative to a root (reference §1 collect):
 * `**` alone in a component matches zero or more directories, `*`/`?`/`[...]` match within
 * one component, names starting with "." match only a pattern component that starts with
 * "." (a component without magic matches any existing name), results are relative paths
 * as Python prints them. One deliberate difference: `**` does not descend into symlinked
 * directories (Python's does, which loops on a link to ".").
 */
export async function pythonGlob(fs: GlobFs, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const match of iglob(fs, pattern, false)) out.push(match);
  return out;
}

async function* iglob(fs: GlobFs, pathname: string, dirOnly: boolean): AsyncGenerator<string> {
  const [dirname, basename] = split(pathname);
  if (!hasMagic(pathname)) {
    if (basename !== '' ? await fs.lexists(pathname) : await fs.isDir(dirname)) yield pathname;
    return;
  }
  if (dirname === '') {
    if (isRecursive(basename)) yield* glob2(fs, '', basename, dirOnly);
    else yield* glob1(fs, '', basename, dirOnly);
    return;
  }
  const dirs: AsyncIterable<string> | string[] =
    dirname !== pathname && hasMagic(dirname) ? iglob(fs, dirname, true) : [dirname];
  for await (const dir of dirs) {
    let names: AsyncIterable<string> | string[];
    if (!hasMagic(basename)) names = await glob0(fs, dir, basename);
    else if (isRecursive(basename)) names = glob2(fs, dir, basename, dirOnly);
    else names = glob1(fs, dir, basename, dirOnly);
    for await (const name of names) yield join(dir, name);
  }
}

async function listNames(fs: GlobFs, dir: string, dirOnly: boolean): Promise<GlobEntry[]> {
  const entries = await fs.list(dir);
  return dirOnly ? entries.filter((entry) => entry.isDir) : entries;
}

async function* glob1(
  fs: GlobFs,
  dir: string,
  pattern: string,
  dirOnly: boolean,
): AsyncGenerator<string> {
  const regExp = fnmatchRegExp(pattern);
  for (const entry of await listNames(fs, dir, dirOnly)) {
    if (isHidden(entry.name) && !isHidden(pattern)) continue;
    if (regExp.test(entry.name)) yield entry.name;
  }
}

async function glob0(fs: GlobFs, dir: string, basename: string): Promise<string[]> {
  if (basename === '') return (await fs.isDir(dir)) ? [basename] : [];
  return (await fs.lexists(join(dir, basename))) ? [basename] : [];
}

async function* glob2(
  fs: GlobFs,
  dir: string,
  pattern: string,
  dirOnly: boolean,
): AsyncGenerator<string> {
  if (dir === '' || (await fs.isDir(dir))) yield pattern.slice(0, 0);
  yield* rlistdir(fs, dir, dirOnly);
}

async function* rlistdir(fs: GlobFs, dir: string, dirOnly: boolean): AsyncGenerator<string> {
  for (const entry of await listNames(fs, dir, dirOnly)) {
    if (isHidden(entry.name)) continue;
    yield entry.name;
    // Deviation from Python: never descend through a symlink (no loops, no duplicates).
    if (entry.isSymlink || !entry.isDir) continue;
    for await (const below of rlistdir(fs, join(dir, entry.name), dirOnly)) {
      yield join(entry.name, below);
    }
  }
}
