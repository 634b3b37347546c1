import type { Readable } from 'node:stream';
import { KolejkaError } from '@kolejka/spec';
import { dockerMessage, dockerStatusCode, type DockerEngine } from './engine.js';

/** Reads a pull's progress stream to its end; the engine reports failures inside it. */
async function followPull(stream: Readable): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    let message: { error?: unknown; errorDetail?: { message?: unknown } };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      continue;
    }
    const error = message.errorDetail?.message ?? message.error;
    if (error !== undefined)
      throw new Error(typeof error === 'string' ? error : JSON.stringify(error));
  }
}

/** Pulls an image; a failure is a KOLEJKA_DOCKER error that says the image is unavailable. */
export async function pullImage(
  docker: DockerEngine,
  image: string,
  wasLocal: boolean,
): Promise<void> {
  try {
    await followPull(await docker.pull(image));
  } catch (error) {
    const why = dockerMessage(error)
      .replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '')
      .trim();
    throw new KolejkaError(
      'KOLEJKA_DOCKER',
      wasLocal
        ? `image ${image} could not be pulled: ${why}`
        : `image ${image} is not available locally and could not be pulled: ${why}`,
      { cause: error },
    );
  }
}

/** Whether an image is present locally (404 → false; other failures throw). */
export async function hasImage(docker: DockerEngine, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (dockerStatusCode(error) === 404) return false;
    throw new KolejkaError(
      'KOLEJKA_DOCKER',
      `cannot inspect image ${image}: ${dockerMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Whether a create failed because the image is missing (Docker answers 404 "No such image"). */
export function isMissingImage(error: unknown): boolean {
  return dockerStatusCode(error) === 404 && /no such image/i.test(dockerMessage(error));
}
