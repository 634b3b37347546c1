import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KolejkaError } from '@kolejka/spec';
import { errnoOf } from './cgroup-fs.js';

/** One line of /proc/<pid>/cgroup: "4:memory:/docker/3f2a" or, for v2, "0::/user.slice". */
export interface ProcCgroupEntry {
  hierarchyId: number;
  /** Controller names of a v1 hierarchy (also "name=systemd"); empty for the v2 line. */
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    entries.push({
      hierarchyId: Number(line.slice(0, first)),
      controllers: controllers === '' ? [] : controllers.split(','),
      path: line.slice(second + 1),
    });
  }
  return entries;
}

function noProcess(pid: number, error: unknown): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `process ${pid} does not exist`, { cause: error });
}

export async function readProcCgroup(procRoot: string, pid: number): Promise<ProcCgroupEntry[]> {
  const file = path.join(procRoot, String(pid), 'cgroup');
  try {
    return parseProcCgroup(await readFile(file, 'utf8'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ESRCH') throw noProcess(pid, error);
    throw new KolejkaError('KOLEJKA_INTERNAL', `cannot read ${file}`, { cause: error });
  }
}

/**
 * The start time of a process (field 22 of /proc/<pid>/stat, in clock ticks since boot), or
 * `undefined` when it is gone. With the pid it identifies a process even if the pid is reused.
 */
export async function pidStartTime(procRoot: string, pid: number): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[19]);
  return Number.isFinite(value) ? value : undefined;
}
