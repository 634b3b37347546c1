import path from 'node:path';
import { isKolejkaError, KolejkaError, type Logger } from '@kolejka/spec';
import type { Cgroup, Cgroups } from '../cgroups/cgroups.js';

/**
 * cgroup v2 only: the leaf that a caller's cgroup's own processes are moved into so that the
 * cgroup may enable controllers for session children ("no internal processes" rule).
 */
export const PROCESSES_LEAF = 'kolejka_observer_processes';

export function joinCgroup(parent: string, name: string): string {
  return path.posix.join(parent, name);
}

/** Where a caller's sessions go: its cgroup, or on v2 the parent of the processes leaf it is in. */
export function sessionParentOf(cgroups: Cgroups, callerPath: string): string {
  if (cgroups.version === 'v2' && path.posix.basename(callerPath) === PROCESSES_LEAF) {
    return path.posix.dirname(callerPath);
  }
  return callerPath;
}

/**
 * Creates a session's cgroup. On v2, when the parent holds processes (a container's cgroup
 * does), they move into the processes leaf first — what systemd and container runtimes do;
 * the container's totals still include them.
 */
export async function createSessionCgroup(
  cgroups: Cgroups,
  parentPath: string,
  cgroupPath: string,
  logger: Logger,
): Promise<Cgroup> {
  try {
    return await cgroups.create(cgroupPath);
  } catch (error) {
    if (cgroups.version !== 'v2' || !isKolejkaError(error, 'KOLEJKA_CONFLICT')) throw error;
    await moveProcessesToLeaf(cgroups, parentPath, logger);
    return await cgroups.create(cgroupPath);
  }
}

async function moveProcessesToLeaf(
  cgroups: Cgroups,
  parentPath: string,
  logger: Logger,
): Promise<void> {
  const leaf = await cgroups.create(joinCgroup(parentPath, PROCESSES_LEAF), { controllers: [] });
  const parent = cgroups.open(parentPath);
  // Processes may fork while they are moved: repeat until the parent is empty.
  for (let round = 0; round < 20; round += 1) {
    const pids = await parent.listPids(false);
    if (pids.length === 0) {
      logger.info('processes moved to a leaf cgroup', { parent: parentPath, leaf: leaf.path });
      return;
    }
    for (const pid of pids) {
      await leaf.movePid(pid).catch((error: unknown) => {
        if (!isKolejkaError(error, 'KOLEJKA_NOT_FOUND')) throw error;
      });
    }
  }
  throw new KolejkaError(
    'KOLEJKA_CONFLICT',
    `cannot empty cgroup ${parentPath} for sessions: its processes keep forking`,
  );
}
