import type { Logger } from '@kolejka/spec';
import { dockerMessage } from '../docker/api-error.js';
import type { ContainerCreateSpec, DockerContainer, DockerEngine } from '../docker/engine.js';
import { dockerError } from '../docker/errors.js';
import { isMissingImage, pullImage } from '../docker/image.js';

/** A created container, and whether Docker enforces its storage limit. */
export interface CreatedContainer {
  container: DockerContainer;
  isStorageLimited: boolean;
}

/**
 * Creates the container; pulls a missing image once (unless it was just pulled), and drops
 * a storage limit Docker refuses (with a warning, and `isStorageLimited` false: the result
 * says so) rather than failing the task.
 */
export async function createContainer(
  docker: DockerEngine,
  spec: ContainerCreateSpec,
  isPulled: boolean,
  logger: Logger,
): Promise<CreatedContainer> {
  try {
    const container = await docker.createContainer(spec);
    return { container, isStorageLimited: spec.HostConfig.StorageOpt !== undefined };
  } catch (error) {
    if (isMissingImage(error) && !isPulled) {
      logger.info('image missing locally; pulling it', { image: spec.Image });
      await pullImage(docker, spec.Image, { isMissingLocally: true });
      return createContainer(docker, spec, true, logger);
    }
    const { StorageOpt, ...hostConfig } = spec.HostConfig;
    if (StorageOpt && /storage-opt|storageopt|pquota/i.test(dockerMessage(error))) {
      logger.warn('the storage limit is not enforced: Docker refused it', {
        error: dockerMessage(error),
      });
      return createContainer(docker, { ...spec, HostConfig: hostConfig }, isPulled, logger);
    }
    throw dockerError(`cannot create the container for image ${spec.Image}`, error);
  }
}
