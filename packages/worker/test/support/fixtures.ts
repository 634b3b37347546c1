import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { docker } from '../../../../test/support/docker-cli.js';

export const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../../../examples');

/** A scratch directory for one test file, removed by `cleanup()`. */
export async function scratch(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kolejka-test-worker-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a task directory: the spec (as given) and its files. */
export async function writeTaskDir(
  dir: string,
  spec: Record<string, unknown>,
  files: Record<string, string> = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content, { mode: 0o755 });
  }
  await writeFile(path.join(dir, 'kolejka_task.json'), JSON.stringify(spec));
  return dir;
}

/** A minimal busybox task spec. */
export function busyboxTask(
  args: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { image: 'kolejka-test/busybox:latest', args, limits: { network: false }, ...extra };
}

/** Containers whose name starts with the given prefix (all states). */
export async function containersNamed(prefix: string): Promise<string[]> {
  const run = await docker(['ps', '-a', '--filter', `name=${prefix}`, '--format', '{{.Names}}']);
  return run.stdout.split('\n').filter((name) => name.startsWith(prefix));
}

/**
 * Task cgroups the worker left under /kolejka-worker (cgroupfs driver) or as slices in
 * kolejka.slice (systemd driver), in any v1 hierarchy (or v2). A slice's name has the task
 * id without its dashes (systemd nests slices by them).
 */
export async function leftoverCgroups(): Promise<string[]> {
  const root = '/sys/fs/cgroup';
  const found: string[] = [];
  const tops = ['kolejka-worker', 'kolejka.slice'];
  const candidates = tops.map((top) => path.join(root, top));
  for (const hierarchy of await readdir(root).catch(() => [] as string[])) {
    for (const top of tops) candidates.push(path.join(root, hierarchy, top));
  }
  for (const dir of candidates) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) if (entry.isDirectory()) found.push(path.join(dir, entry.name));
  }
  return found;
}
