import type { Logger } from '@kolejka/spec';
import type { DockerHost } from '../docker/docker-host.js';
import { FOREMAN_LABEL } from './task-runner.js';
import { removeWorkDir, scanWorkDirs, type SpoolEntry } from './work-dirs.js';

/**
 * Cleans up after an earlier run of this foreman that ended without stopping its tasks
 * (kill -9, a crash, a power cut): its containers (found by their label) and their cgroups are removed, work
 * dirs of unfinished tasks (with any tmpfs left mounted) are deleted — the server gives
 * those tasks to someone when their leases expire — and spooled results are returned to
 * be uploaded.
 */
export async function recoverEarlierRun(options: {
  id: string;
  tempDir: string;
  docker: DockerHost;
  /** Removes the parent cgroups of the removed containers (they leak in every v1 hierarchy). */
  removeLeftoverCgroups: (containerNames: readonly string[]) => Promise<void>;
  logger: Logger;
}): Promise<SpoolEntry[]> {
  const { logger } = options;
  // Before the hello: the server then requeues their tasks at once, and no second run
  // of a task may overlap the orphan's.
  const orphans = await options.docker.removeContainersLabelled(`${FOREMAN_LABEL}=${options.id}`);
  if (orphans.length > 0) {
    await options.removeLeftoverCgroups(orphans);
    logger.warn('removed containers an earlier run left', { containers: orphans });
  }
  const { spooled, abandoned } = await scanWorkDirs(options.tempDir, logger);
  for (const dir of abandoned) await removeWorkDir(dir, logger, { isUnmountingFirst: true });
  if (abandoned.length > 0)
    logger.warn('removed work dirs of tasks an earlier run left', { count: abandoned.length });
  for (const entry of spooled) {
    logger.info('result from an earlier run found in the spool', {
      task: entry.key,
      attempt: entry.attempt,
      spooledAt: entry.spooledAt,
    });
  }
  return spooled;
}
