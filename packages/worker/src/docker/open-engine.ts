import { DockerClient, dockerEndpointFromEnv } from './client.js';
import type { DockerEngine } from './engine.js';

/** An engine client and how to let go of it. */
export interface OpenedEngine {
  engine: DockerEngine;
  /** Closes idle connections (idempotent). */
  close(): void;
}

/**
 * The built-in Engine API client on DOCKER_HOST or the default socket; dockerode (loaded
 * only then: it costs 150–250 ms to import) when DOCKER_HOST needs TLS or ssh.
 */
export async function openDockerEngine(
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenedEngine> {
  const endpoint = dockerEndpointFromEnv(env);
  if (endpoint !== undefined) {
    const client = new DockerClient(endpoint);
    return { engine: client, close: () => client.close() };
  }
  const { default: Dockerode } = await import('dockerode');
  return { engine: new Dockerode() as unknown as DockerEngine, close: () => undefined };
}
