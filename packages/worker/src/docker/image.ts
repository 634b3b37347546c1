import type { Readable } from 'node:stream';
import { KolejkaError } from '@kolejka/spec';
import { dockerMessage, dockerStatusCode } from './api-error.js';
import type { AbortOption, DockerEngine, ImageInspect } from './engine.js';

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

export interface PullOptions extends AbortOption {
  /** Whether the image was looked for locally and not found (the message says so). */
  isMissingLocally?: boolean;
}

/**
 * Pulls an image (`:latest` when it names no tag) and waits for the pull to end; a failure
 * is a KOLEJKA_DOCKER error that says the image cannot be had, with the engine's reason.
 */
export async function pullImage(
  docker: Pick<DockerEngine, 'pull'>,
  image: string,
  options: PullOptions = {},
): Promise<void> {
  const { isMissingLocally, ...requestOptions } = options;
  try {
    await followPull(await docker.pull(image, requestOptions));
  } catch (error) {
    const why = dockerMessage(error)
      .replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '')
      .trim();
    throw new KolejkaError(
      'KOLEJKA_DOCKER',
      isMissingLocally === true
        ? `image ${image} is not available locally and could not be pulled: ${why}`
        : `image ${image} could not be pulled: ${why}`,
      { cause: error },
    );
  }
}

/** An image's local details, or undefined when it is not here (404; other failures throw). */
export async function inspectImage(
  docker: Pick<DockerEngine, 'getImage'>,
  image: string,
  options: AbortOption = {},
): Promise<ImageInspect | undefined> {
  try {
    return await docker.getImage(image).inspect(options);
  } catch (error) {
    if (dockerStatusCode(error) === 404) return undefined;
    throw new KolejkaError(
      'KOLEJKA_DOCKER',
      `cannot inspect image ${image}: ${dockerMessage(error)}`,
      { cause: error },
    );
  }
}

/** Whether a create failed because the image is missing (Docker answers 404 "No such image"). */
export function isMissingImage(error: unknown): boolean {
  return dockerStatusCode(error) === 404 && /no such image/i.test(dockerMessage(error));
}
