import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** The v1 controllers Kolejka uses (the original observer's list), in creation order. */
export const V1_CONTROLLERS = [
  'memory',
  'cpuacct',
  'cpuset',
  'pids',
  'freezer',
  'blkio',
  'perf_event',
] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** Where each mounted controller's hierarchy is (`<root>/<controller>`, symlinks followed). */
export type V1Mounts = ReadonlyMap<V1Controller, string>;

/** Finds the mounted v1 hierarchies under `root`: a controller counts when its dir has `tasks`. */
export async function findV1Mounts(root: string): Promise<Map<V1Controller, string>> {
  const mounts = new Map<V1Controller, string>();
  for (const controller of V1_CONTROLLERS) {
    const dir = path.join(root, controller);
    try {
      await stat(path.join(dir, 'tasks'));
      // Co-mounted controllers (cpu,cpuacct) are reached through symlinks: one real dir.
      mounts.set(controller, await realpath(dir));
    } catch {
      // Not mounted on this machine (perf_event often is not): sessions go without it.
    }
  }
  return mounts;
}
