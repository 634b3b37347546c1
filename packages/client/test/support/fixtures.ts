import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LogMeta, Logger } from '@kolejka/spec';

const made: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs`. */
export async function tempDir(prefix = 'kolejka-test-client-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A task dir with `files` (name → content) and a spec; files are listed by name. */
export async function makeTaskDir(
  files: Record<string, string | Buffer> = { 'run.sh': 'echo hello\n' },
  spec: Record<string, unknown> = {},
): Promise<string> {
  const dir = await tempDir('kolejka-test-client-task-');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  await writeFile(
    path.join(dir, 'kolejka_task.json'),
    JSON.stringify({
      image: 'kolejka-test/busybox:latest',
      args: ['sh', 'run.sh'],
      files: Object.fromEntries(Object.keys(files).map((name) => [name, null])),
      stdout: 'console.txt',
      ...spec,
    }),
  );
  return dir;
}

export interface LogEntry {
  level: string;
  message: string;
  meta: LogMeta;
}

/** A logger that keeps its entries (to check what the library says). */
export function captureLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const make = (scope: LogMeta): Logger => {
    const at =
      (level: string) =>
      (message: string, meta: LogMeta = {}) =>
        entries.push({ level, message, meta: { ...scope, ...meta } });
    return {
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: (meta) => make({ ...scope, ...meta }),
    };
  };
  return Object.assign(make({}), { entries });
}
