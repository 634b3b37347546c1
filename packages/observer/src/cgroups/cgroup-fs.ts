import { constants } from 'node:fs';
import { readFile, readdir, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KolejkaError, type ErrorCode } from '@kolejka/spec';

/**
 * Small file helpers over cgroupfs. Reads of missing files answer `undefined` (a controller
 * that is not there simply has no numbers); writes never create files (cgroupfs cannot, and
 * fixture directories must not pretend a controller exists when it does not).
 */

const ERRNO_CODES: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'KOLEJKA_NOT_FOUND',
  ESRCH: 'KOLEJKA_NOT_FOUND',
  EACCES: 'KOLEJKA_FORBIDDEN',
  EPERM: 'KOLEJKA_FORBIDDEN',
  EROFS: 'KOLEJKA_FORBIDDEN',
  EBUSY: 'KOLEJKA_CONFLICT',
  ENOTEMPTY: 'KOLEJKA_CONFLICT',
  EINVAL: 'KOLEJKA_VALIDATION',
  ENOSPC: 'KOLEJKA_CONFLICT',
};

export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A KolejkaError for a failed cgroup file operation, its code derived from errno. */
export function cgroupIoError(action: string, error: unknown): KolejkaError {
  const errno = errnoOf(error) ?? 'unknown error';
  const code = ERRNO_CODES[errno] ?? 'KOLEJKA_INTERNAL';
  const reason = error instanceof Error ? error.message : String(error);
  return new KolejkaError(code, `cannot ${action}: ${reason}`, { cause: error });
}

export async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENODEV') return undefined;
    throw cgroupIoError(`read ${file}`, error);
  }
}

export async function readLine(file: string): Promise<string | undefined> {
  return (await readText(file))?.trim();
}

/** A number from a one-value file; "max" (v2) reads as `Infinity`; missing file → undefined. */
export async function readNumber(file: string): Promise<number | undefined> {
  const text = await readLine(file);
  if (text === undefined || text === '') return undefined;
  if (text === 'max') return Infinity;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** "key value" lines (cpu.stat, memory.events, pids.events, cpuacct.stat, oom_control). */
export async function readKeyValues(file: string): Promise<Map<string, number> | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, raw] = line.trim().split(/\s+/);
    if (key === undefined || key === '' || raw === undefined) continue;
    const value = Number(raw);
    if (Number.isFinite(value)) values.set(key, value);
  }
  return values;
}

export async function writeText(file: string, value: string): Promise<void> {
  try {
    // O_TRUNC without O_CREAT: as `echo value > file` on cgroupfs, but never creating files.
    await writeFile(file, value, { flag: constants.O_WRONLY | constants.O_TRUNC });
  } catch (error) {
    throw cgroupIoError(`write ${JSON.stringify(value)} to ${file}`, error);
  }
}

/** Pids listed in a cgroup.procs file, or [] when it is missing. */
export async function readPids(file: string): Promise<number[]> {
  const text = await readText(file);
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Every directory under `dir` (not `dir` itself), deepest first. */
export async function descendantDirs(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw cgroupIoError(`list ${dir}`, error);
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const child = path.join(dir, entry.name);
    out.push(...(await descendantDirs(child)), child);
  }
  return out;
}

/**
 * Checks a cgroup path ("/a/b") and returns it normalised (no trailing slash). Paths come
 * from /proc and from callers; a ".." must never walk out of the hierarchy.
 */
export function normalizeCgroupPath(cgroupPath: string): string {
  if (!cgroupPath.startsWith('/')) {
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `cgroup path ${JSON.stringify(cgroupPath)} must be absolute (start with "/")`,
    );
  }
  const parts = cgroupPath.split('/').filter((part) => part !== '');
  for (const part of parts) {
    if (part === '.' || part === '..' || part.includes('\0')) {
      throw new KolejkaError(
        'KOLEJKA_VALIDATION',
        `cgroup path ${JSON.stringify(cgroupPath)} has a ${JSON.stringify(part)} component`,
      );
    }
  }
  return `/${parts.join('/')}`;
}

export function parentCgroupPath(cgroupPath: string): string {
  const normalized = normalizeCgroupPath(cgroupPath);
  return path.posix.dirname(normalized);
}

/** The directory of a cgroup path inside a hierarchy mounted at `mount`. */
export function cgroupDir(mount: string, cgroupPath: string): string {
  return path.join(mount, normalizeCgroupPath(cgroupPath));
}

/** rmdir, retried briefly: right after a kill the kernel may still hold the group (EBUSY). */
export async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') return;
      if (errno !== 'EBUSY' || attempt >= 50) throw cgroupIoError(`remove cgroup ${dir}`, error);
      await sleep(20);
    }
  }
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
