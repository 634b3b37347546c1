import path from 'node:path';
import type { Logger } from '@kolejka/spec';
import type { Worker } from '@kolejka/worker';
import type { ResolvedForemanOptions } from '../options.js';
import { recoverEarlierRun } from '../tasks/recovery.js';
import type { SpoolEntry } from '../tasks/work-dirs.js';
import { createDockerHost, type DockerHost } from './docker-host.js';
import { ImageBudget } from './image-budget.js';

export interface LocalDocker {
  docker: DockerHost;
  images: ImageBudget | undefined;
  spooled: SpoolEntry[];
  /** Limits a task may ask for that this host cannot enforce (said in the hello). */
  unenforcedLimits: string[];
}

/**
 * The start's Docker side: the engine checked, what an earlier run left cleaned up, and the
 * image budget opened (when the capacity has one). Returns the spooled results to upload.
 */
export async function openLocalDocker(
  options: ResolvedForemanOptions,
  docker: DockerHost | undefined,
  worker: Pick<Worker, 'removeLeftoverCgroups'>,
  logger: Logger,
): Promise<LocalDocker> {
  const host = docker ?? (await createDockerHost());
  await host.ping();
  const unenforcedLimits = await unenforceableLimits(host, logger);
  const spooled = await recoverEarlierRun({
    id: options.id,
    tempDir: options.tempDir,
    docker: host,
    removeLeftoverCgroups: (names) => worker.removeLeftoverCgroups(names),
    logger,
  });
  const budgetBytes = options.capacity.image;
  if (budgetBytes === undefined)
    return { docker: host, images: undefined, spooled, unenforcedLimits };
  const images = new ImageBudget({
    docker: host,
    budgetBytes,
    stateFile: path.join(options.tempDir, 'images.json'),
    pullAlways: options.pull,
    evictForeign: options.evictForeignImages,
    logger,
  });
  await images.open();
  return { docker: host, images, spooled, unenforcedLimits };
}

async function unenforceableLimits(host: DockerHost, logger: Logger): Promise<string[]> {
  if (host.isStorageLimitEnforceable === undefined || (await host.isStorageLimitEnforceable()))
    return [];
  logger.warn(
    'the storage limit is not enforced on this host: it needs the overlay2 driver on xfs with pquota',
  );
  return ['storage'];
}
