import { KolejkaError } from '@kolejka/spec';
import {
  dockerMessage,
  dockerStatusCode,
  inspectImage,
  openDockerEngine,
  pullImage,
  storageQuotaPossible,
  type DockerEngine,
} from '@kolejka/worker';

/** A local image as the foreman's budget sees it. */
export interface LocalImage {
  id: string;
  tags: string[];
  sizeBytes: number;
}

/**
 * The Docker calls the foreman makes itself (the worker makes the rest): a liveness check,
 * image management for the image budget, and cleaning up containers a killed foreman left.
 */
export interface DockerHost {
  ping(): Promise<void>;
  inspectImage(name: string): Promise<LocalImage | undefined>;
  pullImage(name: string, signal?: AbortSignal): Promise<void>;
  listImages(): Promise<LocalImage[]>;
  removeImage(name: string): Promise<void>;
  /** Whether Docker can enforce a task's `storage` limit (overlay2 on xfs with pquota). */
  isStorageLimitEnforceable?(): Promise<boolean>;
  /** Force-removes containers carrying this label (`key=value`); returns their names. */
  removeContainersLabelled(label: string): Promise<string[]>;
  /** Lets go of the engine client when the host opened it (idle connections). */
  close?(): void;
}

/**
 * The DockerHost over the worker's engine client: the given one, or the one DOCKER_HOST
 * names (the built-in client; dockerode only for TLS or ssh engines).
 */
export async function createDockerHost(docker?: DockerEngine): Promise<DockerHost> {
  const opened = docker === undefined ? await openDockerEngine() : undefined;
  const engine = docker ?? (opened as { engine: DockerEngine }).engine;
  return {
    async ping() {
      try {
        await engine.ping();
      } catch (error) {
        throw new KolejkaError(
          'KOLEJKA_DOCKER',
          `Docker does not answer (${dockerMessage(error)}). Start it, for example with scripts/prepare-docker.sh in the Kolejka repository, or set DOCKER_HOST`,
          { cause: error },
        );
      }
    },
    async inspectImage(name) {
      const info = await inspectImage(engine, name);
      return info && { id: info.Id, tags: info.RepoTags ?? [], sizeBytes: info.Size };
    },
    pullImage: (name, signal) => pullImage(engine, name, signal ? { abortSignal: signal } : {}),
    async listImages() {
      const images = await engine.listImages();
      return images.map((image) => ({
        id: image.Id,
        tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
        sizeBytes: image.Size,
      }));
    },
    isStorageLimitEnforceable: async () => storageQuotaPossible(await engine.info()),
    async removeImage(name) {
      await engine.getImage(name).remove();
    },
    async removeContainersLabelled(label) {
      const found = await engine.listContainers({ all: true, filters: { label: [label] } });
      const removed: string[] = [];
      for (const container of found) {
        try {
          await engine.getContainer(container.Id).remove({ force: true, v: true });
          removed.push(container.Names[0]?.replace(/^\//, '') ?? container.Id);
        } catch (error) {
          if (dockerStatusCode(error) !== 404) throw error;
        }
      }
      return removed;
    },
    close: () => opened?.close(),
  };
}
