import path from 'node:path';
import type { Logger } from '@kolejka/spec';
import type { Worker } from '@kolejka/worker';
import type { ResolvedForemanOptions } from '../options.js';
import { recoverEarlierRun } from '../tasks/recovery.js';
import type { SpoolEntry } from '../tasks/work-dirs.js';
import { createDockerHost, type DockerHost } from './docker-host.js';
import { ImageBudget } from './image-budget.js';

/**
 * The start's Docker side: the engine checked, what an earlier run left cleaned up, and the
 * image budget opened (when the capacity has one). Returns the spooled results to upload.
 */
export async function openLocalDocker(
  options: ResolvedForemanOptions,
  docker: DockerHost | undefined,
  worker: Pick<Worker, 'removeLeftoverCgroups'>,
  logger: Logger,
): Promise<{ docker: DockerHost; images: ImageBudget | undefined; spooled: SpoolEntry[] }> {
  const host = docker ?? (await createDockerHost());
  await host.ping();
  const spooled = await recoverEarlierRun({
    id: options.id,
    tempDir: options.tempDir,
    docker: host,
    removeLeftoverCgroups: (names) => worker.removeLeftoverCgroups(names),
    logger,
  });
  const budgetBytes = options.capacity.image;
  if (budgetBytes === undefined) return { docker: host, images: undefined, spooled };
  const images = new ImageBudget({
    docker: host,
    budgetBytes,
    stateFile: path.join(options.tempDir, 'images.json'),
    pullAlways: options.pull,
    evictForeign: options.evictForeignImages,
    logger,
  });
  await images.open();
  return { docker: host, images, spooled };
}
