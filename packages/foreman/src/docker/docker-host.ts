import type Dockerode from 'dockerode';
import { KolejkaError } from '@kolejka/spec';

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
  pullImage(name: string): Promise<void>;
  listImages(): Promise<LocalImage[]>;
  removeImage(name: string): Promise<void>;
  /** Force-removes containers carrying this label (`key=value`); returns their names. */
  removeContainersLabelled(label: string): Promise<string[]>;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

/** `name` with `:latest` when it names no tag or digest (what `docker pull` assumes). */
export function withDefaultTag(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.includes(':') || last.includes('@') ? name : `${name}:latest`;
}

/** The DockerHost over dockerode (loaded lazily: it costs 150–250 ms to import). */
export async function createDockerHost(docker?: Dockerode): Promise<DockerHost> {
  const engine = docker ?? new (await import('dockerode')).default();
  return {
    async ping() {
      try {
        await engine.ping();
      } catch (error) {
        throw new KolejkaError(
          'KOLEJKA_DOCKER',
          `Docker does not answer (${messageOf(error)}). Start it, for example with scripts/prepare-docker.sh in the Kolejka repository, or set DOCKER_HOST`,
          { cause: error },
        );
      }
    },
    async inspectImage(name) {
      try {
        const info = (await engine.getImage(name).inspect()) as {
          Id: string;
          RepoTags?: string[] | null;
          Size: number;
        };
        return { id: info.Id, tags: info.RepoTags ?? [], sizeBytes: info.Size };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw new KolejkaError(
          'KOLEJKA_DOCKER',
          `cannot inspect image ${name}: ${messageOf(error)}`,
          {
            cause: error,
          },
        );
      }
    },
    async pullImage(name) {
      try {
        const stream = await engine.pull(withDefaultTag(name));
        await new Promise<void>((resolve, reject) => {
          engine.modem.followProgress(stream, (error: Error | null, output: unknown[]) => {
            if (error) {
              reject(error);
              return;
            }
            const failed = output.find(
              (line) => typeof (line as { error?: unknown }).error === 'string',
            ) as { error: string } | undefined;
            if (failed) reject(new Error(failed.error));
            else resolve();
          });
        });
      } catch (error) {
        throw new KolejkaError(
          'KOLEJKA_DOCKER',
          `image ${name} could not be pulled: ${messageOf(error).replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '')}`,
          { cause: error },
        );
      }
    },
    async listImages() {
      const images = await engine.listImages();
      return images.map((image) => ({
        id: image.Id,
        tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
        sizeBytes: image.Size,
      }));
    },
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
          if (statusOf(error) !== 404) throw error;
        }
      }
      return removed;
    },
  };
}
