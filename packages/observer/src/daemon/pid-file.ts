import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writePidFile(file: string, pid: number = process.pid): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${pid}\n`);
}

/** Removes the pid file if it still names `pid` (a newer daemon may have replaced it). */
export async function removePidFile(file: string, pid: number = process.pid): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text !== undefined && Number(text.trim()) === pid) await unlink(file).catch(() => undefined);
}
